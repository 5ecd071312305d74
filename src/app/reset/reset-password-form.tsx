"use client";

import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { errorsFromServer } from "~/components/form-errors";
import { Field } from "~/components/form-field";
import { Alert, AlertDescription, AlertTitle } from "~/components/ui/alert";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { buttonVariants } from "~/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Input } from "~/components/ui/input";
import { useZodForm } from "~/components/use-zod-form";
import { passwordSchema } from "~/core/account";
import { useTRPC } from "~/trpc/react";
import { z } from "zod";

const input = z.strictObject({ password: passwordSchema });

export function ResetPasswordForm({ token }: { token: string }) {
  const trpc = useTRPC();
  const form = useZodForm(input, { defaultValues: { password: "" } });
  const reset = useMutation(trpc.account.resetPassword.mutationOptions());
  const server = errorsFromServer(reset.error);

  const onSubmit = form.handleSubmit(({ password }) => reset.mutate({ token, password }));

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
          <Field control={form.control} name="password" id="password" label="New password" serverError={server.fields.password} hint="At least 10 characters.">
            {(control) => <Input {...control} type="password" autoComplete="new-password" required />}
          </Field>
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
