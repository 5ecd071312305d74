"use client";

import { useMutation } from "@tanstack/react-query";
import { signIn } from "next-auth/react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { errorsFromServer, fieldErrorsFromZod, mergeErrors, type FieldErrors } from "~/components/form-errors";
import { FormError, FormField } from "~/components/form-field";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Input } from "~/components/ui/input";
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
  const [clientErrors, setClientErrors] = useState<FieldErrors>({});
  const [signInProblem, setSignInProblem] = useState<string | null>(null);
  const [signingIn, setSigningIn] = useState(false);
  const signUp = useMutation(trpc.account.signUp.mutationOptions());

  const server = errorsFromServer(signUp.error);
  const { fields, unplaced } = mergeErrors(clientErrors, server, FIELDS);
  const pending = signUp.isPending || signingIn;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const parsed = signUpInput.safeParse({
      name: String(form.get("name") ?? ""),
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      ...(invite ? { inviteToken: invite.token } : {}),
    });
    if (!parsed.success) {
      setClientErrors(fieldErrorsFromZod(parsed.error));
      return;
    }
    setClientErrors({});
    setSignInProblem(null);
    let created = false;
    try {
      await signUp.mutateAsync(parsed.data);
      created = true;
    } catch {
      // shown from signUp.error
    }
    if (!created) return;
    setSigningIn(true);
    const result = await signIn("credentials", { email: parsed.data.email, password: parsed.data.password, redirect: false }).catch(() => undefined);
    if (!result || result.error) {
      setSigningIn(false);
      setSignInProblem("Your account was created, but signing in failed. Please sign in.");
      return;
    }
    router.push("/projects");
    router.refresh();
  }

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
          <FormField id="name" label="Name" error={fields.name}>
            {(control) => <Input {...control} name="name" autoComplete="name" required />}
          </FormField>
          <FormField id="email" label="Email" error={fields.email} hint={invite ? "Use the address the invite was sent to." : undefined}>
            {(control) => <Input {...control} name="email" type="email" autoComplete="email" defaultValue={invite?.email ?? ""} required />}
          </FormField>
          <FormField id="password" label="Password" error={fields.password} hint="At least 10 characters.">
            {(control) => <Input {...control} name="password" type="password" autoComplete="new-password" required />}
          </FormField>
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
