"use client";

import { signIn } from "next-auth/react";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { Input } from "~/components/ui/input";
import { Label } from "~/components/ui/label";

export function LoginForm({ callbackUrl = "/projects", defaultEmail = "" }: { callbackUrl?: string; defaultEmail?: string }) {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get("email") ?? "").trim();
    const password = String(form.get("password") ?? "");
    if (!email || !password) {
      setError("Enter your email and password.");
      return;
    }
    setPending(true);
    setError(null);
    try {
      const result = await signIn("credentials", { email, password, redirect: false });
      if (result?.status === 429) {
        // The sign-in route's limit: per account and per address, each further try waits longer.
        setError("Too many sign-in attempts. Wait a few minutes before trying again, or reset your password.");
        setPending(false);
        return;
      }
      if (!result || result.error) {
        setError("Wrong email or password.");
        setPending(false);
        return;
      }
    } catch {
      setError("Could not reach the server; please try again.");
      setPending(false);
      return;
    }
    router.push(callbackUrl);
    router.refresh();
  }

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
            <Input id="email" name="email" type="email" autoComplete="email" defaultValue={defaultEmail} required />
          </div>
          <div className="space-y-2">
            <div className="flex items-center justify-between">
              <Label htmlFor="password">Password</Label>
              <Link href="/forgot" className="text-xs text-muted-foreground underline-offset-4 hover:text-foreground hover:underline">
                Forgot password?
              </Link>
            </div>
            <Input id="password" name="password" type="password" autoComplete="current-password" required />
          </div>
          {error ? (
            <p role="alert" className="text-sm text-destructive">
              {error}
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
