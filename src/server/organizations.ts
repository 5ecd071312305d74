import { randomBytes } from "node:crypto";
import type { PrismaClient } from "~/generated/prisma/client";

/** A URL-friendly, unique-enough slug: the name's letters and digits, and a random suffix. */
export function slugify(name: string): string {
  const base = name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  return `${base || "team"}-${randomBytes(3).toString("hex")}`;
}

/** A new organisation and its first owner; call it inside the transaction that creates the owner's other rows. */
export async function createOrganizationWithOwner(
  tx: Pick<PrismaClient, "organization" | "membership">,
  input: { name: string; slug?: string; ownerId: string },
): Promise<{ id: string; name: string; slug: string }> {
  const organization = await tx.organization.create({
    data: { name: input.name, slug: input.slug ?? slugify(input.name) },
    select: { id: true, name: true, slug: true },
  });
  await tx.membership.create({ data: { userId: input.ownerId, organizationId: organization.id, role: "owner" } });
  return organization;
}

/**
 * The user's role on a project (through its organisation's membership) with the project, or null
 * when there is no such project or the user is not a member: the one tenant check behind
 * projectProcedure and the export route.
 */
export async function projectAccess(client: Pick<PrismaClient, "project">, projectId: string, userId: string) {
  const project = await client.project.findUnique({
    where: { id: projectId },
    select: {
      id: true,
      organizationId: true,
      archivedAt: true,
      timezone: true,
      organization: { select: { memberships: { where: { userId }, select: { role: true } } } },
    },
  });
  const role = project?.organization.memberships[0]?.role;
  return project && role ? { project, role } : null;
}
