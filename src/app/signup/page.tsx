import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { AuthShell } from "~/components/auth-shell";
import { Alert, AlertDescription, AlertTitle } from "~/components/ui/alert";
import { tokenSchema } from "~/core/account";
import { getSession } from "~/server/auth/options";
import { mailIsDelivered } from "~/server/mail";
import { api } from "~/trpc/server";
import { SignupForm, type SignupInvite } from "./signup-form";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Create your account · Prism" };

export default async function SignupPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const rawInvite = typeof params.invite === "string" ? params.invite : undefined;
  const token = rawInvite === undefined ? null : tokenSchema.safeParse(rawInvite);

  let invite: SignupInvite | null = null;
  let inviteProblem: string | null = null;
  if (token && !token.success) inviteProblem = "This invite link is not valid.";
  if (token?.success) {
    const peek = await (await api()).invites.peek({ token: token.data });
    if (peek.state === "pending") {
      invite = { token: token.data, email: peek.email, organizationName: peek.organizationName, role: peek.role, accountExists: peek.accountExists };
    } else {
      inviteProblem = peek.message ?? "This invite can no longer be used.";
    }
  }

  if (await getSession()) redirect(invite ? `/invite/${invite.token}` : "/projects");

  return (
    <AuthShell>
      <div className="w-full max-w-sm space-y-4">
        {inviteProblem ? (
          <Alert variant="warning">
            <AlertTitle>This invite cannot be used</AlertTitle>
            <AlertDescription>{inviteProblem} You can still create an account with your own organisation.</AlertDescription>
          </Alert>
        ) : null}
        {invite?.accountExists ? (
          <Alert variant="info">
            <AlertTitle>You already have an account</AlertTitle>
            <AlertDescription>
              An account for {invite.email} exists.{" "}
              <Link
                className="font-medium text-primary underline-offset-4 hover:underline"
                href={`/login?callbackUrl=${encodeURIComponent(`/invite/${invite.token}`)}`}
              >
                Sign in to accept the invite
              </Link>
              .
            </AlertDescription>
          </Alert>
        ) : null}
        <SignupForm invite={invite} mailDelivered={mailIsDelivered()} />
      </div>
    </AuthShell>
  );
}
