import type { PrismaClient } from "~/generated/prisma/client";
import { hashPassword } from "~/server/auth/password";
import { prefixedId } from "~/lib/ids";

export const DEMO_LOGIN = { email: "demo@prism.dev", password: "prism-demo-2026" } as const;

/** The sample shop's props, so rules type-check and pickers have something to offer. */
const DEMO_ATTRIBUTES = [
  { entity: "event", name: "amount", type: "number" },
  { entity: "event", name: "campaign", type: "string" },
  { entity: "event", name: "path", type: "string" },
  { entity: "event", name: "sku", type: "string" },
  { entity: "event", name: "price", type: "number" },
  { entity: "event", name: "quantity", type: "number" },
  { entity: "profile", name: "email", type: "string" },
  { entity: "profile", name: "plan", type: "string" },
  { entity: "profile", name: "vip_level", type: "number" },
  { entity: "profile", name: "country", type: "string" },
  { entity: "profile", name: "login_count", type: "number" },
];

/** The three rules of the design, verbatim, so the demo's triggers fire on the sample data. */
const DEMO_TRIGGERS = [
  {
    name: "Big purchase",
    rule: "event.name == 'purchase' && event.props.amount > 10000 && window.count('purchase', '5m') >= 1",
    actions: [{ type: "notification", title: "Big purchase", body: "A customer spent more than 100 € in one order." }],
  },
  {
    name: "First login",
    rule: "event.name == 'login' && profile.props.login_count == 0",
    actions: [{ type: "update_attribute", attribute: "login_count", value: 1 }],
    cooldownSeconds: 3600,
  },
  {
    name: "VIP in the summer sale",
    rule: "event.name == 'page_view' && event.props.campaign == 'summer_sale' && profile.props.vip_level >= 3",
    actions: [{ type: "tag_profile", tag: "summer_vip" }],
    cooldownSeconds: 86_400,
  },
];

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
    await tx.attributeDefinition.createMany({ data: DEMO_ATTRIBUTES.map((attribute) => ({ projectId, ...attribute })) });
    await tx.trigger.createMany({ data: DEMO_TRIGGERS.map((trigger) => ({ projectId, ...trigger })) });
  });
  return { projectId };
}
