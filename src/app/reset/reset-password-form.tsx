"use client";

import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { errorsFromServer, fieldErrorsFromZod, type FieldErrors } from "~/components/form-errors";
import { FormField } from "~/components/form-field";
import { Alert, AlertDescription, AlertTitle } from "~/components/ui/alert";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { buttonVariants } from "~/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Input } from "~/components/ui/input";
import { passwordSchema } from "~/core/account";
import { useTRPC } from "~/trpc/react";
import { z } from "zod";

const input = z.strictObject({ password: passwordSchema });

export function ResetPasswordForm({ token }: { token: string }) {
  const trpc = useTRPC();
  const [clientErrors, setClientErrors] = useState<FieldErrors>({});
  const reset = useMutation(trpc.account.resetPassword.mutationOptions());
  const server = errorsFromServer(reset.error);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const parsed = input.safeParse({ password: String(new FormData(event.currentTarget).get("password") ?? "") });
    if (!parsed.success) {
      setClientErrors(fieldErrorsFromZod(parsed.error));
      return;
    }
    setClientErrors({});
    reset.mutate({ token, password: parsed.data.password });
  }

  if (reset.isSuccess) {
    return (
      <Card className="w-full max-w-sm">
        <CardHeader>
          <CardTitle>
            <h1>Password changed</h1>
          </CardTitle>
          <CardDescription>Your password has been changed. Sign in with the new one.</CardDescription>
        </CardHeader>
        <CardContent>
          <Link href="/login" className={buttonVariants({ className: "w-full" })}>
            Sign in
          </Link>
        </CardContent>
      </Card>
    );
  }

  return (
    <Card className="w-full max-w-sm">
      <CardHeader>
        <CardTitle>
          <h1>Choose a new password</h1>
        </CardTitle>
        <CardDescription>Pick a password you do not use anywhere else.</CardDescription>
      </CardHeader>
      <CardContent className="space-y-4">
        <form onSubmit={onSubmit} className="space-y-4" noValidate>
          <FormField id="password" label="New password" error={clientErrors.password ?? server.fields.password} hint="At least 10 characters.">
            {(control) => <Input {...control} name="password" type="password" autoComplete="new-password" required />}
          </FormField>
          {server.form ? (
            <Alert variant="destructive">
              <AlertTitle>{server.form}</AlertTitle>
              <AlertDescription>
                <Link href="/forgot" className="font-medium underline underline-offset-4">
                  Request a new link
                </Link>
              </AlertDescription>
            </Alert>
          ) : null}
          <Button type="submit" className="w-full" disabled={reset.isPending}>
            {reset.isPending ? "Saving…" : "Set new password"}
          </Button>
        </form>
        <p className="text-center text-sm text-muted-foreground">
          <Link href="/login" className="font-medium text-primary underline-offset-4 hover:underline">
            Back to sign in
          </Link>
        </p>
      </CardContent>
    </Card>
  );
}
