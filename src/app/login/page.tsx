import type { Metadata } from "next";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { AuthShell } from "~/components/auth-shell";
import { getSession } from "~/server/auth/options";
import { LoginForm } from "./login-form";
import { safeCallbackUrl } from "./safe-callback-url";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Sign in · Prism" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const callbackUrl = safeCallbackUrl(params.callbackUrl, (await headers()).get("host"));
  if (await getSession()) redirect(callbackUrl);
  const email = typeof params.email === "string" ? params.email : "";
  return (
    <AuthShell>
      <LoginForm callbackUrl={callbackUrl} defaultEmail={email} />
    </AuthShell>
  );
}
