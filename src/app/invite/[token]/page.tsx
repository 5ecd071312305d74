import { MailWarning } from "lucide-react";
import type { Metadata } from "next";
import Link from "next/link";
import { AuthShell } from "~/components/auth-shell";
import { RoleBadge } from "~/components/role-badge";
import { Alert, AlertDescription } from "~/components/ui/alert";
import { buttonVariants } from "~/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { tokenSchema } from "~/core/account";
import { getSession } from "~/server/auth/options";
import { api } from "~/trpc/server";
import { AcceptInviteButton } from "./accept-invite-button";
import { SwitchAccountButton } from "./switch-account-button";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Invitation · Prism" };

const PROBLEM_TITLE = {
  invalid: "This invite link is not valid",
  accepted: "This invite was already used",
  revoked: "This invite was revoked",
  expired: "This invite has expired",
} as const;

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token: raw } = await params;
  const token = tokenSchema.safeParse(raw);
  const peek = token.success
    ? await (await api()).invites.peek({ token: token.data })
    : ({ state: "invalid", message: "This invite link is not valid." } as const);
  const session = await getSession();

  if (!token.success || peek.state !== "pending") {
    const state = peek.state === "pending" ? "invalid" : peek.state;
    return (
      <AuthShell>
        <Card className="w-full max-w-md">
          <CardHeader className="items-center text-center">
            <MailWarning className="h-10 w-10 text-muted-foreground" aria-hidden="true" />
            <CardTitle>
              <h1>{PROBLEM_TITLE[state]}</h1>
            </CardTitle>
            <CardDescription>
              <span role="alert" className="block">
                {peek.message ?? "This invite can no longer be used."}
              </span>
            </CardDescription>
          </CardHeader>
          <CardContent className="space-y-3 text-center">
            <p className="text-sm text-muted-foreground">If you still need access, ask an admin of the organisation to send you a new invite.</p>
            <Link href={session ? "/projects" : "/login"} className={buttonVariants({ variant: "outline", className: "w-full" })}>
              {session ? "Go to your projects" : "Sign in"}
            </Link>
          </CardContent>
        </Card>
      </AuthShell>
    );
  }

  const invitePath = `/invite/${token.data}`;
  const signedInAs = session?.user.email.toLowerCase() ?? null;
  const wrongAccount = signedInAs !== null && signedInAs !== peek.email;

  return (
    <AuthShell>
      <Card className="w-full max-w-md">
        <CardHeader>
          <CardTitle>
            <h1>Join {peek.organizationName} on Prism</h1>
          </CardTitle>
          <CardDescription>
            You were invited to join <span className="font-medium text-foreground">{peek.organizationName}</span> as <RoleBadge role={peek.role} />. The invite
            was sent to <span className="font-medium text-foreground">{peek.email}</span>.
          </CardDescription>
        </CardHeader>
        <CardContent className="space-y-3">
          {session && !wrongAccount ? <AcceptInviteButton token={token.data} /> : null}
          {session && wrongAccount ? (
            <>
              <Alert variant="warning">
                <AlertDescription>
                  You are signed in as {session.user.email}. Sign in as {peek.email} to accept this invite.
                </AlertDescription>
              </Alert>
              <SwitchAccountButton callbackUrl={`/login?callbackUrl=${encodeURIComponent(invitePath)}&email=${encodeURIComponent(peek.email)}`} />
            </>
          ) : null}
          {!session && peek.accountExists ? (
            <>
              <p className="text-sm text-muted-foreground">You already have a Prism account. Sign in to accept the invite.</p>
              <Link
                href={`/login?callbackUrl=${encodeURIComponent(invitePath)}&email=${encodeURIComponent(peek.email)}`}
                className={buttonVariants({ className: "w-full" })}
              >
                Sign in
              </Link>
            </>
          ) : null}
          {!session && !peek.accountExists ? (
            <>
              <p className="text-sm text-muted-foreground">Create your account to join. It takes a minute.</p>
              <Link href={`/signup?invite=${encodeURIComponent(token.data)}`} className={buttonVariants({ className: "w-full" })}>
                Sign up to join
              </Link>
            </>
          ) : null}
        </CardContent>
      </Card>
    </AuthShell>
  );
}
