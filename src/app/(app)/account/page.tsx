import type { Metadata } from "next";
import { PageHeader } from "~/components/page-header";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { api } from "~/trpc/server";
import { ChangePasswordForm } from "./change-password-form";

export const metadata: Metadata = { title: "Account · Prism" };

export default async function AccountPage() {
  const me = await (await api()).account.me();
  return (
    <section className="space-y-6">
      <PageHeader title="Account" description={<span className="break-all">{me.name ? `${me.name} · ${me.email}` : me.email}</span>} />
      <Card className="w-full max-w-lg">
        <CardHeader>
          <CardTitle>
            <h2>Change password</h2>
          </CardTitle>
          <CardDescription>Every other browser or device signed in to this account is signed out. This one stays signed in.</CardDescription>
        </CardHeader>
        <CardContent>
          <ChangePasswordForm />
        </CardContent>
      </Card>
    </section>
  );
}
