import { redirect } from "next/navigation";
import { getSession } from "~/server/auth/options";
import { LoginForm } from "./login-form";

export const dynamic = "force-dynamic";

export default async function LoginPage() {
  if (await getSession()) redirect("/projects");
  return (
    <main className="flex min-h-screen items-center justify-center bg-muted/40 p-6">
      <LoginForm />
    </main>
  );
}
