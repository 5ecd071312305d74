import type { Metadata } from "next";
import Link from "next/link";
import { AuthShell } from "~/components/auth-shell";
import { buttonVariants } from "~/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { tokenSchema } from "~/core/account";
import { ResetPasswordForm } from "./reset-password-form";

export const metadata: Metadata = { title: "Choose a new password · Prism" };

export default async function ResetPasswordPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const token = tokenSchema.safeParse((await searchParams).token);
  return (
    <AuthShell>
      {token.success ? (
        <ResetPasswordForm token={token.data} />
      ) : (
        <Card className="w-full max-w-sm">
          <CardHeader>
            <CardTitle>
              <h1>This link is not valid</h1>
            </CardTitle>
            <CardDescription>The password reset link is incomplete or malformed. Ask for a new one.</CardDescription>
          </CardHeader>
          <CardContent>
            <Link href="/forgot" className={buttonVariants({ className: "w-full" })}>
              Request a new link
            </Link>
          </CardContent>
        </Card>
      )}
    </AuthShell>
  );
}
