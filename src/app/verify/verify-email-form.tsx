"use client";

import { useMutation } from "@tanstack/react-query";
import { CheckCircle2, MailCheck, XCircle } from "lucide-react";
import Link from "next/link";
import type { FormEvent } from "react";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { buttonVariants } from "~/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { useTRPC } from "~/trpc/react";

/**
 * The link only opens this page; the token is spent by the button's POST. Mail scanners and link
 * previews fetch links with GET, and would otherwise use up the token before the user clicks.
 */
export function VerifyEmailForm({ token, signedIn }: { token: string; signedIn: boolean }) {
  const trpc = useTRPC();
  const verify = useMutation(trpc.account.verifyEmail.mutationOptions());
  const next = signedIn ? { href: "/projects", label: "Go to your projects" } : { href: "/login", label: "Sign in" };

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    verify.mutate({ token });
  }

  if (verify.isSuccess || verify.isError) {
    return (
      <Card className="w-full max-w-sm">
        <CardHeader className="items-center text-center">
          {verify.isSuccess ? (
            <CheckCircle2 className="h-10 w-10 text-emerald-600" aria-hidden="true" />
          ) : (
            <XCircle className="h-10 w-10 text-destructive" aria-hidden="true" />
          )}
          <CardTitle>
            <h1>{verify.isSuccess ? "Email verified" : "We could not verify your email"}</h1>
          </CardTitle>
          <CardDescription>
            {verify.isSuccess ? (
              "Thanks, your email address is confirmed."
            ) : (
              <span role="alert" className="block">
                {verify.error?.data?.code === "NOT_FOUND" || verify.error?.data?.code === "BAD_REQUEST"
                  ? verify.error.message
                  : "We could not verify your email right now; please try the link again in a moment."}
              </span>
            )}
          </CardDescription>
        </CardHeader>
        <CardContent className="space-y-3 text-center">
          {verify.isError ? (
            <p className="text-sm text-muted-foreground">
              {signedIn ? "You can ask for a new link from the banner at the top of the app." : "Sign in to ask for a new verification link."}
            </p>
          ) : null}
          <Link href={next.href} className={buttonVariants({ className: "w-full" })}>
            {next.label}
          </Link>
        </CardContent>
      </Card>
    );
  }

  return (
    <Card className="w-full max-w-sm">
      <CardHeader className="items-center text-center">
        <MailCheck className="h-10 w-10 text-primary" aria-hidden="true" />
        <CardTitle>
          <h1>Confirm your email address</h1>
        </CardTitle>
        <CardDescription>One click to confirm that this address is yours.</CardDescription>
      </CardHeader>
      <CardContent>
        <form onSubmit={onSubmit}>
          <Button type="submit" className="w-full" disabled={verify.isPending}>
            {verify.isPending ? "Confirming…" : "Confirm email"}
          </Button>
        </form>
      </CardContent>
    </Card>
  );
}
