import type { PrismaClient } from "~/generated/prisma/client";
import { hashPassword } from "~/server/auth/password";
import { prefixedId } from "~/lib/ids";

export const DEMO_LOGIN = { email: "demo@prism.dev", password: "prism-demo-2026" } as const;

/**
 * On an empty database, creates the demo user, organisation and project so a newcomer
 * can sign in straight away. Returns null when users already exist.
 */
export async function seedDemo(db: PrismaClient): Promise<{ projectId: string } | null> {
  if ((await db.user.count()) > 0) return null;
  const passwordHash = await hashPassword(DEMO_LOGIN.password);
  const projectId = prefixedId("proj");
  await db.$transaction(async (tx) => {
    const user = await tx.user.create({
      data: { email: DEMO_LOGIN.email, name: "Demo User", passwordHash, emailVerifiedAt: new Date() },
      select: { id: true },
    });
    const organization = await tx.organization.create({ data: { name: "Demo Shop", slug: "demo-shop" }, select: { id: true } });
    await tx.membership.create({ data: { userId: user.id, organizationId: organization.id, role: "owner" } });
    await tx.project.create({
      data: { id: projectId, organizationId: organization.id, name: "Demo Shop", timezone: "UTC" },
    });
  });
  return { projectId };
}
