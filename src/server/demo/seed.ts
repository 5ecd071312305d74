import type { PrismaClient } from "~/generated/prisma/client";
import { dynamicCohortDefinitionSchema } from "~/core/cohorts";
import type { ReportSpec } from "~/core/reports";
import type { EventFieldType } from "~/core/tracking-plan";
import { hashPassword } from "~/server/auth/password";
import { createOrganizationWithOwner } from "~/server/organizations";
import { prefixedId } from "~/platform/ids";

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

type Field = [name: string, dataType: EventFieldType, required?: boolean];

/**
 * The tracking plan of the sample shop: every event the sample data sends, with its fields. The
 * project observes the plan (the default), so an event off the plan is flagged, never refused.
 */
export const DEMO_EVENT_TYPES: Array<{ name: string; description: string; fields: Field[] }> = [
  {
    name: "page_view",
    description: "A page of the shop was shown.",
    fields: [
      ["path", "string", true],
      ["campaign", "string"],
      ["referrer", "string"],
    ],
  },
  {
    name: "sign_up",
    description: "A visitor created an account.",
    fields: [
      ["method", "string", true],
      ["campaign", "string"],
    ],
  },
  { name: "login", description: "A customer signed in.", fields: [["method", "string", true]] },
  {
    name: "add_to_cart",
    description: "A product went into the cart; price in cents.",
    fields: [
      ["sku", "string", true],
      ["name", "string"],
      ["price", "integer", true],
      ["quantity", "integer", true],
    ],
  },
  {
    name: "checkout_started",
    description: "The customer opened the checkout; amount in cents.",
    fields: [
      ["items", "integer", true],
      ["amount", "integer", true],
    ],
  },
  {
    name: "purchase",
    description: "An order was paid; amount in cents.",
    fields: [
      ["sku", "string", true],
      ["amount", "integer", true],
      ["currency", "string", true],
      ["campaign", "string"],
    ],
  },
];

const DAY_MS = 86_400_000;

/** The demo reports use no cohort (the schema's output carries the empty lists). */
const NO_COHORTS = { cohortFilters: [], cohortBreakdown: [] };

/**
 * The demo dashboard: what a shop owner looks at first. Ranges end at tomorrow's midnight (the
 * project is on UTC), which makes them "up to today" reports that roll forward every day.
 */
export function demoDashboard(now: number): Array<{ name: string; spec: ReportSpec }> {
  const tomorrow = (Math.floor(now / DAY_MS) + 1) * DAY_MS;
  const lastDays = (days: number) => ({ from: new Date(tomorrow - days * DAY_MS).toISOString(), to: new Date(tomorrow).toISOString() });
  return [
    {
      name: "Daily active users",
      spec: {
        kind: "trend",
        definition: {
          ...NO_COHORTS,
          range: lastDays(14),
          interval: "day",
          series: [{ event: null, filters: [], aggregation: { op: "unique_profiles" }, label: "Active users" }],
          filters: [],
          compare: true,
          compareTo: "previous",
        },
      },
    },
    {
      name: "Shop funnel",
      spec: {
        kind: "funnel",
        definition: {
          ...NO_COHORTS,
          range: lastDays(28),
          steps: [
            // Short labels: four of them share the width of a phone.
            { event: "page_view", filters: [], label: "Visit" },
            { event: "add_to_cart", filters: [], label: "Cart" },
            { event: "checkout_started", filters: [], label: "Checkout" },
            { event: "purchase", filters: [], label: "Purchase" },
          ],
          windowSeconds: 86_400,
          filters: [],
          breakdown: null,
          breakdownLimit: 10,
          interval: "week",
        },
      },
    },
    {
      name: "Events by type, last 7 days",
      spec: {
        kind: "query",
        definition: {
          ...NO_COHORTS,
          range: lastDays(7),
          events: [],
          filters: [],
          groupBy: ["event_name"],
          aggregation: { op: "count" },
          limit: 20,
        },
      },
    },
    {
      name: "Purchases by campaign",
      spec: {
        kind: "segment",
        definition: {
          ...NO_COHORTS,
          range: lastDays(28),
          event: "purchase",
          filters: [],
          breakdown: "props.campaign",
          aggregation: { op: "count" },
          topN: 5,
        },
      },
    },
    {
      name: "Weekly retention after sign-up",
      spec: {
        kind: "retention",
        definition: {
          ...NO_COHORTS,
          range: lastDays(28),
          cohortEvent: "sign_up",
          returnEvent: "login",
          interval: "week",
          periods: 4,
          filters: [],
        },
      },
    },
  ];
}

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

/** Shoppers who bought twice in a month: a filter and breakdown for every report, and `profile.in_cohort('repeat_buyers')` in rules. */
export const DEMO_COHORT = {
  key: "repeat_buyers",
  name: "Repeat buyers",
  description: "Bought at least twice in the last 30 days.",
  kind: "dynamic",
  definition: { match: "all", conditions: [{ kind: "behaviour", event: "purchase", filters: [], comparison: "at_least", count: 2, days: 30 }] },
} as const;

/** An anomaly alert on the dashboard's first trend (daily active users), telling the team in the product. */
const DEMO_ALERT = {
  name: "Active users out of their usual range",
  seriesIndex: 0,
  condition: "anomaly",
  k: 3,
  window: 7,
  interval: "day",
  actions: [{ type: "notification", title: "Active users left their usual range", body: "" }],
};

/**
 * On an empty database, creates the demo user, organisation and project so a newcomer
 * can sign in straight away. Returns null when users already exist.
 */
export async function seedDemo(db: PrismaClient, opts: { now?: number } = {}): Promise<{ projectId: string } | null> {
  if ((await db.user.count()) > 0) return null;
  const passwordHash = await hashPassword(DEMO_LOGIN.password);
  const projectId = prefixedId("proj");
  await db.$transaction(async (tx) => {
    const user = await tx.user.create({
      data: { email: DEMO_LOGIN.email, name: "Demo User", passwordHash, emailVerifiedAt: new Date() },
      select: { id: true },
    });
    const organization = await createOrganizationWithOwner(tx, { name: "Demo Shop", slug: "demo-shop", ownerId: user.id });
    await tx.project.create({
      data: { id: projectId, organizationId: organization.id, name: "Demo Shop", timezone: "UTC" },
    });
    await tx.attributeDefinition.createMany({ data: DEMO_ATTRIBUTES.map((attribute) => ({ projectId, ...attribute })) });
    await tx.trigger.createMany({ data: DEMO_TRIGGERS.map((trigger) => ({ projectId, ...trigger })) });
    for (const eventType of DEMO_EVENT_TYPES) {
      await tx.eventType.create({
        data: {
          projectId,
          name: eventType.name,
          description: eventType.description,
          fields: { create: eventType.fields.map(([name, dataType, required = false]) => ({ name, dataType, required })) },
        },
      });
    }
    await tx.savedReport.createMany({
      data: demoDashboard(opts.now ?? Date.now()).map((report, position) => ({
        projectId,
        name: report.name,
        kind: report.spec.kind,
        definition: report.spec.definition,
        onDashboard: true,
        position,
      })),
    });
    // A cohort and an alert, so both pages show what they do before the newcomer makes their own.
    await tx.cohort.create({ data: { projectId, ...DEMO_COHORT, definition: dynamicCohortDefinitionSchema.parse(DEMO_COHORT.definition) } });
    const activeUsers = await tx.savedReport.findFirstOrThrow({ where: { projectId, kind: "trend" }, orderBy: { position: "asc" }, select: { id: true } });
    await tx.metricAlert.create({ data: { projectId, reportId: activeUsers.id, ...DEMO_ALERT } });
  });
  return { projectId };
}
