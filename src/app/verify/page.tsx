import { XCircle } from "lucide-react";
import type { Metadata } from "next";
import Link from "next/link";
import { AuthShell } from "~/components/auth-shell";
import { buttonVariants } from "~/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { tokenSchema } from "~/core/account";
import { getSession } from "~/server/auth/options";
import { VerifyEmailForm } from "./verify-email-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Verify your email · Prism" };

export default async function VerifyEmailPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const token = tokenSchema.safeParse((await searchParams).token);
  const signedIn = Boolean(await getSession());
  return (
    <AuthShell>
      {token.success ? (
        <VerifyEmailForm token={token.data} signedIn={signedIn} />
      ) : (
        <Card className="w-full max-w-sm">
          <CardHeader className="items-center text-center">
            <XCircle className="h-10 w-10 text-destructive" aria-hidden="true" />
            <CardTitle>
              <h1>This link is not valid</h1>
            </CardTitle>
            <CardDescription>The verification link is incomplete or malformed.</CardDescription>
          </CardHeader>
          <CardContent>
            <Link href={signedIn ? "/projects" : "/login"} className={buttonVariants({ className: "w-full" })}>
              {signedIn ? "Go to your projects" : "Sign in"}
            </Link>
          </CardContent>
        </Card>
      )}
    </AuthShell>
  );
}
