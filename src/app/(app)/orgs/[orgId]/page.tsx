import type { Metadata } from "next";
import { PageHeader } from "~/components/page-header";
import { RoleBadge } from "~/components/role-badge";
import { atLeast } from "~/core/roles";
import { mailIsDelivered } from "~/server/mail";
import { api } from "~/trpc/server";
import { orNotFound } from "../../load";
import { InvitesPanel } from "./invites-panel";
import { MembersPanel } from "./members-panel";
import { NewOrganizationButton } from "./new-organization-button";
import { OrgApiKeysPanel } from "./org-api-keys-panel";
import { OrgProjectsPanel } from "./org-projects-panel";
import { OrgSettingsPanel } from "./org-settings-panel";
import { PermissionsTable } from "./permissions-table";

export const metadata: Metadata = { title: "Organisation · Prism" };

export default async function OrganizationPage({
  params,
  searchParams,
}: {
  params: Promise<{ orgId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { orgId } = await params;
  // /orgs/<id>?new=project opens the new-project form straight away (used by the empty project list).
  const startCreatingProject = (await searchParams).new === "project";
  const caller = await api();
  const organization = await orNotFound(() => caller.organizations.get({ orgId }));
  const { role } = organization;

  return (
    <div className="space-y-8">
      <PageHeader
        title={organization.name}
        description={
          <span className="flex items-center gap-2">
            Organisation · your role <RoleBadge role={role} />
          </span>
        }
        actions={<NewOrganizationButton />}
      />
      <OrgProjectsPanel orgId={organization.id} role={role} startCreating={startCreatingProject} />
      <MembersPanel orgId={organization.id} orgName={organization.name} role={role} />
      {atLeast(role, "admin") ? <InvitesPanel orgId={organization.id} role={role} mailDelivered={mailIsDelivered()} /> : null}
      {atLeast(role, "admin") ? <OrgApiKeysPanel orgId={organization.id} /> : null}
      <PermissionsTable role={role} />
      {role === "owner" ? <OrgSettingsPanel orgId={organization.id} name={organization.name} /> : null}
    </div>
  );
}
