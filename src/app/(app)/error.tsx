"use client";

import Link from "next/link";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { buttonVariants } from "~/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";

/** Shown when a page of the app fails to load; never a stack trace. */
export default function AppError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <Card className="mx-auto max-w-md text-center">
      <CardHeader>
        <CardTitle>
          <h1>Something went wrong</h1>
        </CardTitle>
        <CardDescription>This page could not be loaded. Try again; if it keeps failing, the error reference below helps us find it.</CardDescription>
      </CardHeader>
      <CardContent className="space-y-4">
        {error.digest ? <p className="font-mono text-xs text-muted-foreground">Reference: {error.digest}</p> : null}
        <div className="flex justify-center gap-2">
          <Button onClick={() => reset()}>Try again</Button>
          <Link href="/projects" className={buttonVariants({ variant: "outline" })}>
            Go to your projects
          </Link>
        </div>
      </CardContent>
    </Card>
  );
}
