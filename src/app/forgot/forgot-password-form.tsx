"use client";

import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { errorsFromServer } from "~/components/form-errors";
import { Field, FormError } from "~/components/form-field";
import { Alert, AlertDescription, AlertTitle } from "~/components/ui/alert";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Input } from "~/components/ui/input";
import { useZodForm } from "~/components/use-zod-form";
import { emailSchema } from "~/core/account";
import { useTRPC } from "~/trpc/react";
import { z } from "zod";

const input = z.strictObject({ email: emailSchema });

export function ForgotPasswordForm({ mailDelivered }: { mailDelivered: boolean }) {
  const trpc = useTRPC();
  const form = useZodForm(input, { defaultValues: { email: "" } });
  const request = useMutation(trpc.account.requestPasswordReset.mutationOptions());
  const server = errorsFromServer(request.error);

  const onSubmit = form.handleSubmit((values) => request.mutate(values));

  return (
    <Card className="w-full max-w-sm">
      <CardHeader>
        <CardTitle>
          <h1>Forgot your password?</h1>
        </CardTitle>
        <CardDescription>
          {mailDelivered
            ? "Enter your email and we will send you a link to choose a new one."
            : "This Prism has no mail server set up: the link goes to its administrator's outbox, so ask them to send it to you."}
        </CardDescription>
      </CardHeader>
      <CardContent className="space-y-4">
        {request.isSuccess ? (
          <Alert variant="success">
            <AlertTitle>{mailDelivered ? "Check your inbox" : "Ask your Prism administrator"}</AlertTitle>
            <AlertDescription>
              {mailDelivered
                ? `If an account exists for ${request.variables.email}, we sent a link to reset its password. The link is valid for 1 hour.`
                : `If an account exists for ${request.variables.email}, a link to reset its password is in the administrator's outbox. The link is valid for 1 hour.`}
            </AlertDescription>
          </Alert>
        ) : (
          <form onSubmit={onSubmit} className="space-y-4" noValidate>
            <Field control={form.control} name="email" id="email" label="Email" serverError={server.fields.email}>
              {(control) => <Input {...control} type="email" autoComplete="email" required />}
            </Field>
            <FormError messages={[server.form]} />
            <Button type="submit" className="w-full" disabled={request.isPending}>
              {request.isPending ? "Sending…" : "Send reset link"}
            </Button>
          </form>
        )}
        <p className="text-center text-sm text-muted-foreground">
          <Link href="/login" className="font-medium text-primary underline-offset-4 hover:underline">
            Back to sign in
          </Link>
        </p>
      </CardContent>
    </Card>
  );
}
