"use client";

import { useMutation } from "@tanstack/react-query";
import { signIn } from "next-auth/react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { errorsFromServer, unplacedErrors } from "~/components/form-errors";
import { Field, FormError } from "~/components/form-field";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Input } from "~/components/ui/input";
import { useZodForm } from "~/components/use-zod-form";
import { signUpInput } from "~/core/account";
import { useTRPC } from "~/trpc/react";

export interface SignupInvite {
  token: string;
  email: string;
  organizationName: string;
  role: string;
  accountExists: boolean;
}

const FIELDS = ["name", "email", "password"] as const;

export function SignupForm({ invite, mailDelivered }: { invite: SignupInvite | null; mailDelivered: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const form = useZodForm(signUpInput, {
    defaultValues: { name: "", email: invite?.email ?? "", password: "", ...(invite ? { inviteToken: invite.token } : {}) },
  });
  const signUp = useMutation(trpc.account.signUp.mutationOptions());
  const { errors, isSubmitting, isSubmitSuccessful } = form.formState;

  const server = errorsFromServer(signUp.error);
  const unplaced = unplacedErrors(server, FIELDS);
  const signInProblem = errors.root?.message ?? null;
  // Once the account exists, the submit goes on to sign in; it stays busy while the next page loads.
  const signingIn = signUp.isSuccess && (isSubmitting || isSubmitSuccessful);
  const pending = signUp.isPending || signingIn;

  const onSubmit = form.handleSubmit(async (input) => {
    try {
      await signUp.mutateAsync(input);
    } catch {
      return; // shown from signUp.error
    }
    const result = await signIn("credentials", { email: input.email, password: input.password, redirect: false }).catch(() => undefined);
    if (!result || result.error) {
      form.setError("root", { message: "Your account was created, but signing in failed. Please sign in." });
      return;
    }
    router.push("/projects");
    router.refresh();
  });

  return (
    <Card className="w-full">
      <CardHeader>
        <CardTitle>
          <h1>{invite ? `Join ${invite.organizationName}` : "Create your Prism account"}</h1>
        </CardTitle>
        <CardDescription>
          {invite
            ? `You were invited as ${invite.role}. Create an account with ${invite.email} to join.`
            : "Start sending events in minutes. You get your own organisation."}
        </CardDescription>
      </CardHeader>
      <CardContent>
        <form onSubmit={onSubmit} className="space-y-4" noValidate>
          <Field control={form.control} name="name" id="name" label="Name" serverError={server.fields.name}>
            {(control) => <Input {...control} autoComplete="name" required />}
          </Field>
          <Field
            control={form.control}
            name="email"
            id="email"
            label="Email"
            serverError={server.fields.email}
            hint={invite ? "Use the address the invite was sent to." : undefined}
          >
            {(control) => <Input {...control} type="email" autoComplete="email" defaultValue={invite?.email ?? ""} required />}
          </Field>
          <Field control={form.control} name="password" id="password" label="Password" serverError={server.fields.password} hint="At least 10 characters.">
            {(control) => <Input {...control} type="password" autoComplete="new-password" required />}
          </Field>
          <FormError messages={[server.form, ...unplaced, signInProblem]} />
          {signInProblem ? (
            <Link href="/login" className="block text-sm font-medium text-primary underline-offset-4 hover:underline">
              Go to sign in
            </Link>
          ) : null}
          <Button type="submit" className="w-full" disabled={pending}>
            {signUp.isPending ? "Creating account…" : signingIn ? "Signing in…" : "Create account"}
          </Button>
          {invite ? null : (
            <p data-testid="verification-note" className="text-xs text-muted-foreground">
              {mailDelivered
                ? "We will email you a link to confirm your address; your account works in the meantime."
                : "This Prism has no mail server set up: your account works straight away and there is no email to confirm."}
            </p>
          )}
        </form>
      </CardContent>
      <div className="flex justify-center border-t px-6 py-4 text-sm text-muted-foreground">
        <span>
          Already have an account?{" "}
          <Link
            href={invite ? `/login?callbackUrl=${encodeURIComponent(`/invite/${invite.token}`)}` : "/login"}
            className="font-medium text-primary underline-offset-4 hover:underline"
          >
            Sign in
          </Link>
        </span>
      </div>
    </Card>
  );
}
