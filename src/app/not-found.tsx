import Link from "next/link";
import { AuthShell } from "~/components/auth-shell";
import { buttonVariants } from "~/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";

export default function NotFound() {
  return (
    <AuthShell>
      <Card className="w-full max-w-md text-center">
        <CardHeader>
          <CardTitle>
            <h1>Page not found</h1>
          </CardTitle>
          <CardDescription>This page does not exist, or you do not have access to it.</CardDescription>
        </CardHeader>
        <CardContent>
          <Link href="/projects" className={buttonVariants({ variant: "outline" })}>
            Go to your projects
          </Link>
        </CardContent>
      </Card>
    </AuthShell>
  );
}
