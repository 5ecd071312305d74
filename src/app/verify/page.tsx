import { TRPCError } from "@trpc/server";
import { CheckCircle2, XCircle } from "lucide-react";
import type { Metadata } from "next";
import Link from "next/link";
import { AuthShell } from "~/components/auth-shell";
import { buttonVariants } from "~/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { tokenSchema } from "~/domain/account";
import { getSession } from "~/server/auth/options";
import { api } from "~/trpc/server";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Verify your email · Prism" };

type Outcome = { verified: true } | { verified: false; message: string };

async function verify(raw: string | string[] | undefined): Promise<Outcome> {
  const token = tokenSchema.safeParse(raw);
  if (!token.success) return { verified: false, message: "This link is not valid." };
  try {
    await (await api()).account.verifyEmail({ token: token.data });
    return { verified: true };
  } catch (error) {
    if (error instanceof TRPCError && (error.code === "NOT_FOUND" || error.code === "BAD_REQUEST")) return { verified: false, message: error.message };
    return { verified: false, message: "We could not verify your email right now; please try the link again in a moment." };
  }
}

export default async function VerifyEmailPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const outcome = await verify((await searchParams).token);
  const signedIn = Boolean(await getSession());
  const next = signedIn ? { href: "/projects", label: "Go to your projects" } : { href: "/login", label: "Sign in" };
  return (
    <AuthShell>
      <Card className="w-full max-w-sm">
        <CardHeader className="items-center text-center">
          {outcome.verified ? (
            <CheckCircle2 className="h-10 w-10 text-emerald-600" aria-hidden="true" />
          ) : (
            <XCircle className="h-10 w-10 text-destructive" aria-hidden="true" />
          )}
          <CardTitle>
            <h1>{outcome.verified ? "Email verified" : "We could not verify your email"}</h1>
          </CardTitle>
          <CardDescription>
            {outcome.verified ? (
              "Thanks, your email address is confirmed."
            ) : (
              <span role="alert" className="block">
                {outcome.message}
              </span>
            )}
          </CardDescription>
        </CardHeader>
        <CardContent className="space-y-3 text-center">
          {!outcome.verified ? (
            <p className="text-sm text-muted-foreground">
              {signedIn ? "You can ask for a new link from the banner at the top of the app." : "Sign in to ask for a new verification link."}
            </p>
          ) : null}
          <Link href={next.href} className={buttonVariants({ className: "w-full" })}>
            {next.label}
          </Link>
        </CardContent>
      </Card>
    </AuthShell>
  );
}
