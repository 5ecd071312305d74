/**
 * Test support for properties over every tRPC procedure: a tenant with one of each object,
 * valid inputs naming a tenant's objects, and the list of procedures that take no tenant id.
 */
import fc from "fast-check";
import type { SessionUser } from "~/server/api/trpc";
import { tokenFromMail, type TestApp } from "./app";

export interface Tenant {
  user: SessionUser;
  orgId: string;
  orgName: string;
  projectId: string;
  projectName: string;
  keyId: string;
  inviteId: string;
  inviteToken: string;
  membershipId: string;
  eventTypeId: string;
  attributeId: string;
  triggerId: string;
  webhookEndpointId: string;
  webhookDeliveryId: string;
  notificationId: string;
  savedReportId: string;
  profileDeletionId: string;
  importId: string;
  alertId: string;
  cohortId: string;
}

/** Signs up an owner and creates a project, key, invite, event type, attribute, webhook endpoint and delivery, trigger and notification. */
export async function makeTenant(app: TestApp, tag: string): Promise<Tenant> {
  const { user, orgId } = await app.signUp(`${tag}-owner@example.com`, `Owner ${tag}`);
  const caller = app.caller(user);
  const org = await caller.organizations.get({ orgId });
  const project = await caller.projects.create({ orgId, name: `Project ${tag}` });
  const key = await caller.apiKeys.create({ projectId: project.id, name: "key" });
  const invite = await caller.invites.create({ orgId, email: `${tag}-invitee@example.com`, role: "member" });
  const inviteToken = tokenFromMail(app.mails, `${tag}-invitee@example.com`, "/invite/");
  const eventType = await caller.trackingPlan.createEventType({
    projectId: project.id,
    eventType: { name: "purchase", description: "", fields: [{ name: "amount", dataType: "number", required: true }] },
  });
  const attribute = await caller.trackingPlan.createAttribute({
    projectId: project.id,
    attribute: { entity: "profile", name: "vip_level", type: "number", itemsType: null, indexed: false },
  });
  const webhookEndpoint = await caller.webhooks.create({ projectId: project.id, endpoint: { url: `https://${tag}.example.com/hooks`, description: "" } });
  const trigger = await caller.triggers.create({
    projectId: project.id,
    trigger: {
      name: "big",
      rule: "event.name == 'purchase'",
      actions: [
        { type: "notification", title: "Big", body: "" },
        { type: "webhook", endpointId: webhookEndpoint.id },
      ],
      enabled: true,
      cooldownSeconds: 0,
    },
  });
  const webhookDelivery = await app.db.webhookDelivery.create({
    data: { id: `msg_${tag}`, endpointId: webhookEndpoint.id, projectId: project.id, triggerId: trigger.id, payload: { tag }, status: "failed" },
  });
  const notification = await app.db.notification.create({ data: { projectId: project.id, title: `secret of ${tag}` } });
  const savedReport = await caller.savedReports.create({
    projectId: project.id,
    name: `Report ${tag}`,
    spec: { kind: "trend", definition: { range: { from: "2024-01-01T00:00:00Z", to: "2024-01-08T00:00:00Z" }, series: [{ event: null }] } },
  });
  const alert = await caller.alerts.create({
    projectId: project.id,
    alert: {
      name: `Alert ${tag}`,
      reportId: savedReport.id,
      config: { condition: "above", threshold: 100 },
      actions: [{ type: "notification", title: "High", body: "" }],
    },
  });
  const cohort = await caller.cohorts.create({
    projectId: project.id,
    cohort: { key: "vips", name: `VIPs ${tag}`, kind: "dynamic", definition: COHORT_DEFINITION },
  });
  const profileDeletion = await caller.profiles.delete({ projectId: project.id, profileId: `gone-${tag}` });
  const importJob = await caller.imports.start({ projectId: project.id, format: "ndjson", fileName: `${tag}.ndjson` });
  const [membership] = await caller.organizations.members({ orgId });
  return {
    savedReportId: savedReport.id,
    alertId: alert.id,
    cohortId: cohort.id,
    profileDeletionId: profileDeletion.deletionId,
    importId: importJob.importId,
    user,
    orgId,
    orgName: org.name,
    projectId: project.id,
    projectName: project.name,
    keyId: key.id,
    inviteId: invite.id,
    inviteToken,
    membershipId: membership!.membershipId,
    eventTypeId: eventType.id,
    attributeId: attribute.id,
    triggerId: trigger.id,
    webhookEndpointId: webhookEndpoint.id,
    webhookDeliveryId: webhookDelivery.id,
    notificationId: notification.id,
  };
}

export const word = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/);
const role = fc.constantFrom("viewer", "member", "admin", "owner");
const eventTypeInput = fc.record({ name: word, description: fc.constant(""), fields: fc.constant([]) });
const triggerInput = fc.record({ name: word, rule: fc.constant("true"), actions: fc.constant([]), enabled: fc.boolean(), cooldownSeconds: fc.constant(0) });

const COHORT_DEFINITION = {
  match: "all" as const,
  conditions: [{ kind: "prop" as const, filter: { field: "profile.plan", op: "eq" as const, value: "pro" } }],
};

const ANY_RANGE = { from: "2024-01-01T00:00:00Z", to: "2024-01-08T00:00:00Z" };

/**
 * For each tenant-scoped procedure: valid input naming the target's objects. `own` is the caller's
 * tenant: where a procedure names a sub-object, the parent id may be the caller's own.
 */
export function scopedInputs(target: Tenant, own: Tenant): Record<string, fc.Arbitrary<Record<string, unknown>>> {
  const orgId = fc.constant(target.orgId);
  const orgOrOwn = fc.constantFrom(target.orgId, own.orgId);
  const projectId = fc.constant(target.projectId);
  const projectOrOwn = fc.constantFrom(target.projectId, own.projectId);
  return {
    "organizations.get": fc.record({ orgId }),
    "organizations.rename": fc.record({ orgId, name: word }),
    "organizations.delete": fc.record({ orgId, confirmName: fc.constant(target.orgName) }),
    "organizations.members": fc.record({ orgId }),
    "organizations.changeRole": fc.record({ orgId: orgOrOwn, membershipId: fc.constant(target.membershipId), role }),
    "organizations.removeMember": fc.record({ orgId: orgOrOwn, membershipId: fc.constant(target.membershipId) }),
    "organizations.leave": fc.record({ orgId }),
    "invites.list": fc.record({ orgId }),
    "invites.create": fc.record({ orgId, email: word.map((w) => `${w}@example.com`), role }),
    "invites.resend": fc.record({ orgId: orgOrOwn, inviteId: fc.constant(target.inviteId) }),
    "invites.revoke": fc.record({ orgId: orgOrOwn, inviteId: fc.constant(target.inviteId) }),
    "projects.listForOrg": fc.record({ orgId }),
    "projects.create": fc.record({ orgId, name: word }),
    "projects.get": fc.record({ projectId }),
    "projects.rename": fc.record({ projectId, name: word }),
    "projects.updateSettings": fc.record({ projectId, settings: fc.record({ dataRetentionDays: fc.integer({ min: 1, max: 3650 }) }) }),
    "projects.archive": fc.record({ projectId }),
    "projects.unarchive": fc.record({ projectId }),
    "projects.delete": fc.record({ projectId, confirmName: fc.constant(target.projectName) }),
    "apiKeys.list": fc.record({ projectId }),
    "apiKeys.create": fc.record({ projectId, name: word }),
    "apiKeys.revoke": fc.record({ projectId: projectOrOwn, keyId: fc.constant(target.keyId) }),
    "apiKeys.listForOrg": fc.record({ orgId }),
    "apiKeys.createForOrg": fc.record({ orgId, name: word }),
    "apiKeys.revokeForOrg": fc.record({ orgId: orgOrOwn, keyId: fc.constant(target.keyId) }),
    "trackingPlan.get": fc.record({ projectId }),
    "trackingPlan.createEventType": fc.record({ projectId, eventType: eventTypeInput }),
    "trackingPlan.updateEventType": fc.record({ projectId: projectOrOwn, eventTypeId: fc.constant(target.eventTypeId), eventType: eventTypeInput }),
    "trackingPlan.deleteEventType": fc.record({ projectId: projectOrOwn, eventTypeId: fc.constant(target.eventTypeId) }),
    "trackingPlan.createAttribute": fc.record({
      projectId,
      attribute: fc.record({ entity: fc.constant("event"), name: word, type: fc.constant("string"), itemsType: fc.constant(null), indexed: fc.boolean() }),
    }),
    "trackingPlan.deleteAttribute": fc.record({ projectId: projectOrOwn, attributeId: fc.constant(target.attributeId) }),
    "triggers.list": fc.record({ projectId }),
    "triggers.create": fc.record({ projectId, trigger: triggerInput }),
    "triggers.update": fc.record({ projectId: projectOrOwn, triggerId: fc.constant(target.triggerId), trigger: triggerInput }),
    "triggers.setEnabled": fc.record({ projectId: projectOrOwn, triggerId: fc.constant(target.triggerId), enabled: fc.boolean() }),
    "triggers.delete": fc.record({ projectId: projectOrOwn, triggerId: fc.constant(target.triggerId) }),
    "triggers.check": fc.record({ projectId, rule: fc.constantFrom("true", "profile.props.vip_level >= 3") }),
    "triggers.test": fc.record({ projectId, rule: fc.constant("event.name == 'purchase'"), event: fc.record({ name: word, props: fc.constant({}) }) }),
    "triggers.backtest": fc.record({ projectId, rule: fc.constant("event.name == 'purchase'"), days: fc.constant(7) }),
    "notifications.list": fc.record({ projectId, limit: fc.integer({ min: 1, max: 100 }) }),
    "notifications.markAllRead": fc.record({ projectId }),
    "notifications.markRead": fc.record({ projectId: projectOrOwn, notificationId: fc.constant(target.notificationId) }),
    "webhooks.list": fc.record({ projectId }),
    "webhooks.create": fc.record({ projectId, endpoint: fc.record({ url: word.map((w) => `https://${w}.example.com/`), description: fc.constant("") }) }),
    "webhooks.update": fc.record({
      projectId: projectOrOwn,
      endpointId: fc.constant(target.webhookEndpointId),
      endpoint: fc.record({ url: word.map((w) => `https://${w}.example.com/`), description: fc.constant("") }),
    }),
    "webhooks.setEnabled": fc.record({ projectId: projectOrOwn, endpointId: fc.constant(target.webhookEndpointId), enabled: fc.boolean() }),
    "webhooks.rotateSecret": fc.record({ projectId: projectOrOwn, endpointId: fc.constant(target.webhookEndpointId) }),
    "webhooks.delete": fc.record({ projectId: projectOrOwn, endpointId: fc.constant(target.webhookEndpointId) }),
    "webhooks.deliveries": fc.record({ projectId: projectOrOwn, endpointId: fc.constant(target.webhookEndpointId), limit: fc.integer({ min: 1, max: 100 }) }),
    "webhooks.retryDelivery": fc.record({ projectId: projectOrOwn, deliveryId: fc.constant(target.webhookDeliveryId) }),
    "reports.query": fc.record({ projectId, definition: fc.constant({ range: ANY_RANGE }) }),
    "reports.trend": fc.record({ projectId, definition: fc.constant({ range: ANY_RANGE, series: [{ event: null }] }) }),
    "reports.funnel": fc.record({ projectId, definition: fc.constant({ range: ANY_RANGE, steps: [{ event: "a" }, { event: "b" }] }) }),
    "reports.segment": fc.record({ projectId, definition: fc.constant({ range: ANY_RANGE, event: null, breakdown: "event_name" }) }),
    "reports.retention": fc.record({ projectId, definition: fc.constant({ range: ANY_RANGE, cohortEvent: null, returnEvent: null }) }),
    "reports.paths": fc.record({ projectId, definition: fc.constant({ range: ANY_RANGE, event: "a" }) }),
    "reports.keyNumbers": fc.record({ projectId }),
    "reports.firingsToday": fc.record({ projectId }),
    "reports.triggerFirings": fc.record({ projectId, triggerId: fc.constant(target.triggerId) }),
    "events.list": fc.record({ projectId }),
    "events.get": fc.record({ projectId, eventId: word }),
    "events.tail": fc.record({ projectId }),
    "profiles.search": fc.record({ projectId, prefix: word }),
    "profiles.get": fc.record({ projectId, profileId: word }),
    "profiles.timeline": fc.record({ projectId, profileId: word }),
    "profiles.delete": fc.record({ projectId, profileId: word }),
    "profiles.merge": fc.record({ projectId, from: word, into: word }),
    "profiles.deletion": fc.record({ projectId: projectOrOwn, deletionId: fc.constant(target.profileDeletionId) }),
    "profiles.deletions": fc.record({ projectId }),
    "profiles.findDeletions": fc.record({ projectId, profileId: word }),
    "deadLetters.list": fc.record({ projectId }),
    "imports.start": fc.record({ projectId, format: fc.constantFrom("ndjson", "csv", "segment", "mixpanel"), fireActions: fc.boolean() }),
    "imports.get": fc.record({ projectId: projectOrOwn, importId: fc.constant(target.importId) }),
    "imports.list": fc.record({ projectId }),
    "deadLetters.replay": fc.record({ projectId, ids: fc.array(word, { minLength: 1, maxLength: 3 }) }),
    "deadLetters.discard": fc.record({ projectId, ids: fc.array(word, { minLength: 1, maxLength: 3 }) }),
    "savedReports.list": fc.record({ projectId }),
    "savedReports.create": fc.record({ projectId, name: word, spec: fc.constant({ kind: "query", definition: { range: ANY_RANGE } }) }),
    "savedReports.update": fc.record({ projectId: projectOrOwn, reportId: fc.constant(target.savedReportId), name: word }),
    "savedReports.delete": fc.record({ projectId: projectOrOwn, reportId: fc.constant(target.savedReportId) }),
    "savedReports.setOnDashboard": fc.record({ projectId: projectOrOwn, reportId: fc.constant(target.savedReportId), onDashboard: fc.boolean() }),
    "savedReports.reorder": fc.record({ projectId: projectOrOwn, reportIds: fc.constant([target.savedReportId]) }),
    "cohorts.list": fc.record({ projectId }),
    "cohorts.get": fc.record({ projectId: projectOrOwn, cohortId: fc.constant(target.cohortId) }),
    "cohorts.create": fc.record({ projectId, cohort: fc.record({ key: word, name: word, kind: fc.constant("static") }) }),
    "cohorts.update": fc.record({
      projectId: projectOrOwn,
      cohortId: fc.constant(target.cohortId),
      cohort: fc.record({ key: word, name: word, kind: fc.constant("dynamic"), definition: fc.constant(COHORT_DEFINITION) }),
    }),
    "cohorts.delete": fc.record({ projectId: projectOrOwn, cohortId: fc.constant(target.cohortId) }),
    "cohorts.setStaticMembers": fc.record({ projectId: projectOrOwn, cohortId: fc.constant(target.cohortId), text: fc.constant("u1\nu2") }),
    "cohorts.members": fc.record({ projectId: projectOrOwn, cohortId: fc.constant(target.cohortId) }),
    "cohorts.count": fc.record({ projectId: projectOrOwn, cohortId: fc.constant(target.cohortId) }),
    "alerts.list": fc.record({ projectId }),
    "alerts.get": fc.record({ projectId: projectOrOwn, alertId: fc.constant(target.alertId) }),
    "alerts.create": fc.record({
      projectId: projectOrOwn,
      alert: fc.record({ name: word, reportId: fc.constant(target.savedReportId), config: fc.constant({ condition: "anomaly" }) }),
    }),
    "alerts.update": fc.record({
      projectId: projectOrOwn,
      alertId: fc.constant(target.alertId),
      alert: fc.record({ name: word, reportId: fc.constant(target.savedReportId), config: fc.constant({ condition: "below", threshold: 1 }) }),
    }),
    "alerts.setEnabled": fc.record({ projectId: projectOrOwn, alertId: fc.constant(target.alertId), enabled: fc.boolean() }),
    "alerts.delete": fc.record({ projectId: projectOrOwn, alertId: fc.constant(target.alertId) }),
    "alerts.history": fc.record({ projectId: projectOrOwn, alertId: fc.constant(target.alertId) }),
    "alerts.evaluate": fc.record({
      projectId: projectOrOwn,
      target: fc.constantFrom({ kind: "saved", alertId: target.alertId }, { kind: "draft", reportId: target.savedReportId, config: { condition: "anomaly" } }),
    }),
  };
}

/** Procedures that name no tenant: checked for leaks instead. */
export const UNSCOPED = [
  "account.signUp",
  "account.verifyEmail",
  "account.resendVerification",
  "account.requestPasswordReset",
  "account.resetPassword",
  "account.changePassword",
  "account.me",
  "organizations.list",
  "organizations.create",
  "projects.list",
  "invites.peek",
  "invites.accept",
  // The whole instance's outbox, for instance admins only (src/server/api/routers/admin.int.test.ts).
  "admin.outbox",
];

/** Everything of a tenant that a procedure could change. */
export async function snapshot(app: TestApp, orgId: string) {
  return app.db.organization.findUniqueOrThrow({
    where: { id: orgId },
    include: {
      memberships: { orderBy: { id: "asc" } },
      invites: { orderBy: { id: "asc" } },
      apiKeys: { orderBy: { id: "asc" }, omit: { lastUsedAt: true } },
      projects: {
        orderBy: { id: "asc" },
        include: {
          apiKeys: { orderBy: { id: "asc" }, omit: { lastUsedAt: true } },
          eventTypes: { orderBy: { id: "asc" }, include: { fields: { orderBy: { id: "asc" } } } },
          attributes: { orderBy: { id: "asc" } },
          triggers: { orderBy: { id: "asc" } },
          notifications: { orderBy: { id: "asc" } },
          webhookEndpoints: { orderBy: { id: "asc" }, include: { deliveries: { orderBy: { id: "asc" } } } },
          profileDeletions: { orderBy: { id: "asc" } },
          importJobs: { orderBy: { id: "asc" } },
          metricAlerts: { orderBy: { id: "asc" }, include: { states: { orderBy: { id: "asc" } } } },
        },
      },
    },
  });
}

export type AnyProcedure = (input: unknown) => Promise<unknown>;

export function procedureAt(app: TestApp, user: SessionUser, path: string): AnyProcedure {
  const [namespace, name] = path.split(".") as [string, string];
  const caller = app.caller(user) as unknown as Record<string, Record<string, AnyProcedure>>;
  return caller[namespace]![name]!;
}
