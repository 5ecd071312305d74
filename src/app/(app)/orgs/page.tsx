import { Building2 } from "lucide-react";
import type { Metadata } from "next";
import Link from "next/link";
import { PageHeader } from "~/components/page-header";
import { RoleBadge } from "~/components/role-badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "~/components/ui/card";
import { api } from "~/trpc/server";
import { CreateOrganizationForm } from "./create-organization-form";

export const metadata: Metadata = { title: "Organisations · Prism" };

export default async function OrganizationsPage() {
  const organizations = await (await api()).organizations.list();
  return (
    <section className="space-y-6">
      <PageHeader title="Organisations" description="Organisations own projects and members. You can belong to several." />
      {organizations.length === 0 ? (
        <p className="text-sm text-muted-foreground">You do not belong to any organisation yet. Create one below, or accept an invite.</p>
      ) : (
        <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          {organizations.map((organization) => (
            <li key={organization.id}>
              <Link
                href={`/orgs/${organization.id}`}
                className="group block rounded-lg focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
              >
                <Card className="h-full transition-colors group-hover:border-primary/50">
                  <CardHeader>
                    <CardTitle className="flex items-center justify-between gap-2">
                      <span className="flex min-w-0 items-center gap-2">
                        <Building2 className="h-4 w-4 shrink-0 text-muted-foreground" aria-hidden="true" />
                        <span className="truncate">{organization.name}</span>
                      </span>
                      <RoleBadge role={organization.role} />
                    </CardTitle>
                    <CardDescription>
                      {organization.projectCount} {organization.projectCount === 1 ? "project" : "projects"} · {organization.memberCount}{" "}
                      {organization.memberCount === 1 ? "member" : "members"}
                    </CardDescription>
                  </CardHeader>
                </Card>
              </Link>
            </li>
          ))}
        </ul>
      )}
      <Card className="max-w-lg">
        <CardHeader>
          <CardTitle>
            <h2>New organisation</h2>
          </CardTitle>
          <CardDescription>You become its owner and can invite your team.</CardDescription>
        </CardHeader>
        <CardContent>
          <CreateOrganizationForm />
        </CardContent>
      </Card>
    </section>
  );
}
