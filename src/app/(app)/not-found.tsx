import Link from "next/link";
import { buttonVariants } from "~/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";

/** A project or organisation the user cannot see looks exactly like one that does not exist. */
export default function AppNotFound() {
  return (
    <Card className="mx-auto mt-10 max-w-md text-center">
      <CardHeader>
        <CardTitle>
          <h1>Not found</h1>
        </CardTitle>
        <CardDescription>This page does not exist, or you do not have access to it.</CardDescription>
      </CardHeader>
      <CardContent>
        <Link href="/projects" className={buttonVariants({ variant: "outline" })}>
          Go to your projects
        </Link>
      </CardContent>
    </Card>
  );
}
