"use client";

import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { getCsrfToken } from "next-auth/react";
import { useId } from "react";
import { z } from "zod";
import { errorsFromServer } from "~/components/form-errors";
import { Field, FormError } from "~/components/form-field";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Alert, AlertDescription, AlertTitle } from "~/components/ui/alert";
import { Input } from "~/components/ui/input";
import { useZodForm } from "~/components/use-zod-form";
import { changePasswordInput, type ChangePasswordInput } from "~/core/account";
import { useTRPCClient } from "~/trpc/react";

const input = changePasswordInput
  .extend({ confirmPassword: z.string() })
  .refine((values) => values.confirmPassword === values.newPassword, { path: ["confirmPassword"], message: "does not match the new password" });

const renewedSession = z.object({ user: z.object({ sessionVersion: z.number() }) });

/**
 * Moves this browser's session to the version the change created, with the proof changePassword
 * returned: the request next-auth's `useSession().update(data)` makes, without needing its provider.
 */
async function renewSession(renewal: string): Promise<boolean> {
  try {
    const csrfToken = await getCsrfToken();
    const response = await fetch("/api/auth/session", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ csrfToken, data: { renewal } }),
    });
    return response.ok && renewedSession.safeParse(await response.json()).success;
  } catch {
    return false;
  }
}

export function ChangePasswordForm() {
  const client = useTRPCClient();
  const id = useId();
  const form = useZodForm(input, { defaultValues: { currentPassword: "", newPassword: "", confirmPassword: "" } });
  const change = useMutation({
    mutationFn: async (values: ChangePasswordInput) => {
      const { renewal } = await client.account.changePassword.mutate(values);
      return { sessionKept: await renewSession(renewal) };
    },
  });
  const server = errorsFromServer(change.error);

  const onSubmit = form.handleSubmit(({ currentPassword, newPassword }) => change.mutate({ currentPassword, newPassword }, { onSuccess: () => form.reset() }));

  if (change.data && !change.data.sessionKept) {
    return (
      <Alert variant="destructive">
        <AlertTitle>Your password was changed</AlertTitle>
        <AlertDescription>
          Every session was signed out, this one too.{" "}
          <Link href="/login" className="font-medium underline underline-offset-4">
            Sign in with the new password
          </Link>
        </AlertDescription>
      </Alert>
    );
  }

  return (
    <form onSubmit={onSubmit} className="space-y-4" noValidate aria-label="Change password">
      {change.isSuccess ? (
        <Alert variant="success">
          <AlertTitle>Password changed</AlertTitle>
          <AlertDescription>Every other session was signed out. You stay signed in here.</AlertDescription>
        </Alert>
      ) : null}
      <Field control={form.control} name="currentPassword" id={`${id}-current`} label="Current password" serverError={server.fields.currentPassword}>
        {(control) => <Input {...control} type="password" autoComplete="current-password" required />}
      </Field>
      <Field
        control={form.control}
        name="newPassword"
        id={`${id}-new`}
        label="New password"
        serverError={server.fields.newPassword}
        hint="At least 10 characters."
      >
        {(control) => <Input {...control} type="password" autoComplete="new-password" required />}
      </Field>
      <Field control={form.control} name="confirmPassword" id={`${id}-confirm`} label="Confirm new password">
        {(control) => <Input {...control} type="password" autoComplete="new-password" required />}
      </Field>
      <FormError messages={[server.form]} />
      <Button type="submit" className="w-full sm:w-auto" disabled={change.isPending}>
        {change.isPending ? "Changing…" : "Change password"}
      </Button>
    </form>
  );
}
