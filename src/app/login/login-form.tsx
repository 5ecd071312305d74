"use client";

import { signIn } from "next-auth/react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { z } from "zod";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";
import { useZodForm } from "~/components/use-zod-form";

// Only presence is checked here: any other problem is the server's "Wrong email or password."
const loginInput = z.object({ email: z.string().trim().min(1), password: z.string().min(1) });

export function LoginForm({ callbackUrl = "/projects", defaultEmail = "" }: { callbackUrl?: string; defaultEmail?: string }) {
  const router = useRouter();
  const form = useZodForm(loginInput, { defaultValues: { email: defaultEmail, password: "" } });
  const { errors, isSubmitting, isSubmitSuccessful } = form.formState;
  // After a successful sign-in the button stays busy while the next page loads.
  const pending = isSubmitting || isSubmitSuccessful;

  const onSubmit = form.handleSubmit(
    async ({ email, password }) => {
      let problem: string | null = null;
      try {
        const result = await signIn("credentials", { email, password, redirect: false });
        // The sign-in route's limit: per account and per address, each further try waits longer.
        if (result?.status === 429) problem = "Too many sign-in attempts. Wait a few minutes before trying again, or reset your password.";
        else if (!result || result.error) problem = "Wrong email or password.";
      } catch {
        problem = "Could not reach the server; please try again.";
      }
      if (problem) {
        form.setError("root", { message: problem });
        return;
      }
      router.push(callbackUrl);
      router.refresh();
    },
    () => form.setError("root", { message: "Enter your email and password." }),
  );

  const signupHref = callbackUrl.startsWith("/invite/") ? `/signup?invite=${encodeURIComponent(callbackUrl.slice("/invite/".length))}` : "/signup";

  return (
    <Card className="w-full max-w-sm">
      <CardHeader>
        <CardTitle>
          <h1>Sign in to Prism</h1>
        </CardTitle>
        <CardDescription>Realtime events with rules.</CardDescription>
      </CardHeader>
      <CardContent>
        <form onSubmit={onSubmit} className="space-y-4" noValidate>
          <div className="space-y-2">
            <Label htmlFor="email">Email</Label>
            <Input id="email" {...form.register("email")} type="email" defaultValue={defaultEmail} autoComplete="email" required />
          </div>
          <div className="space-y-2">
            <div className="flex items-center justify-between">
              <Label htmlFor="password">Password</Label>
              <Link href="/forgot" className="text-xs text-muted-foreground underline-offset-4 hover:text-foreground hover:underline">
                Forgot password?
              </Link>
            </div>
            <Input id="password" {...form.register("password")} type="password" autoComplete="current-password" required />
          </div>
          {errors.root?.message ? (
            <p role="alert" className="text-sm text-destructive">
              {errors.root.message}
            </p>
          ) : null}
          <Button type="submit" className="w-full" disabled={pending}>
            {pending ? "Signing in…" : "Sign in"}
          </Button>
        </form>
      </CardContent>
      <div className="flex justify-center border-t px-6 py-4 text-sm text-muted-foreground">
        <span>
          New to Prism?{" "}
          <Link href={signupHref} className="font-medium text-primary underline-offset-4 hover:underline">
            Create an account
          </Link>
        </span>
      </div>
    </Card>
  );
}
