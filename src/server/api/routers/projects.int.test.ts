import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveApiKey } from "~/platform/resolve-key";
import { createTestApp, tokenFromMail, type TestApp } from "~/testing/app";
import type { SessionUser } from "~/server/api/trpc";

let app: TestApp;
let owner: SessionUser;
let orgId: string;

async function joinAs(email: string, role: "viewer" | "member" | "admin"): Promise<SessionUser> {
  await app.caller(owner).invites.create({ orgId, email, role });
  const token = tokenFromMail(app.mails, email, "/invite/");
  const { userId } = await app.caller(null).account.signUp({ email, name: email, password: "a long password", inviteToken: token });
  return { id: userId, email, name: email };
}

beforeAll(async () => {
  app = await createTestApp();
  ({ user: owner, orgId } = await app.signUp("keys-owner@example.com"));
});
afterAll(async () => {
  await app?.close();
});

describe("projects", () => {
  it("creates projects with proj_ ids and refuses a duplicate name naming the field", async () => {
    const project = await app.caller(owner).projects.create({ orgId, name: "Shop" });
    expect(project.id).toMatch(/^proj_[0-9a-z]{16}$/);
    expect(project).toMatchObject({ timezone: "UTC", dataRetentionDays: 365 });
    await expect(app.caller(owner).projects.create({ orgId, name: "Shop" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringContaining("name"),
    });
  });

  it("archives, restores and deletes only with the exact name", async () => {
    const project = await app.caller(owner).projects.create({ orgId, name: "Temp" });
    await app.caller(owner).projects.archive({ projectId: project.id });
    expect((await app.caller(owner).projects.list()).map((p) => p.id)).not.toContain(project.id);
    await app.caller(owner).projects.unarchive({ projectId: project.id });
    await expect(app.caller(owner).projects.delete({ projectId: project.id, confirmName: "temp" })).rejects.toThrow("exactly");
    await app.caller(owner).projects.delete({ projectId: project.id, confirmName: "Temp" });
    expect(await app.db.project.count({ where: { id: project.id } })).toBe(0);
  });

  it("validates settings: unknown time zone, negative retention, unknown keys", async () => {
    const project = await app.caller(owner).projects.create({ orgId, name: "Settings" });
    await expect(app.caller(owner).projects.updateSettings({ projectId: project.id, settings: { timezone: "Mars/Olympus" } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(app.caller(owner).projects.updateSettings({ projectId: project.id, settings: { dataRetentionDays: -1 } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(app.caller(owner).projects.updateSettings({ projectId: project.id, settings: { sneaky: 1 } as never })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    const updated = await app
      .caller(owner)
      .projects.updateSettings({ projectId: project.id, settings: { timezone: "Europe/Paris", allowedEventNames: ["purchase"] } });
    expect(updated).toMatchObject({ timezone: "Europe/Paris", allowedEventNames: ["purchase"] });
  });
});

describe("API keys", () => {
  it("shows the secret once, stores only its hash and resolves it to the project", async () => {
    const project = await app.caller(owner).projects.create({ orgId, name: "Keys" });
    const key = await app.caller(owner).apiKeys.create({ projectId: project.id, name: "server" });
    expect(key.secret).toMatch(/^ef_live_[\w-]{30,}$/);
    const listed = await app.caller(owner).apiKeys.list({ projectId: project.id });
    expect(JSON.stringify(listed)).not.toContain(key.secret);
    const row = await app.db.apiKey.findUniqueOrThrow({ where: { id: key.id }, select: { secretHash: true, prefix: true } });
    expect(row.secretHash).not.toContain(key.secret);
    expect(key.secret.startsWith(row.prefix)).toBe(true);

    const resolved = await resolveApiKey(app.db, key.secret);
    expect(resolved?.project.id).toBe(project.id);
    expect((await app.caller(owner).apiKeys.list({ projectId: project.id }))[0]?.lastUsedAt).not.toBeNull();
  });

  it("stops resolving a revoked key immediately", async () => {
    const project = await app.caller(owner).projects.create({ orgId, name: "Revoke" });
    const key = await app.caller(owner).apiKeys.create({ projectId: project.id, name: "to revoke" });
    expect(await resolveApiKey(app.db, key.secret)).not.toBeNull();
    await app.caller(owner).apiKeys.revoke({ projectId: project.id, keyId: key.id });
    expect(await resolveApiKey(app.db, key.secret)).toBeNull();
    expect((await app.caller(owner).apiKeys.list({ projectId: project.id }))[0]?.status).toBe("revoked");
  });

  it("carries the tracking plan and archive state to the edge", async () => {
    const project = await app.caller(owner).projects.create({ orgId, name: "Plan" });
    await app.caller(owner).trackingPlan.createEventType({
      projectId: project.id,
      eventType: { name: "purchase", description: "A paid order", fields: [{ name: "amount", dataType: "number", required: true }] },
    });
    const key = await app.caller(owner).apiKeys.create({ projectId: project.id, name: "edge" });
    await app.caller(owner).projects.archive({ projectId: project.id });
    const resolved = await resolveApiKey(app.db, key.secret);
    expect(resolved?.project.archived).toBe(true);
    expect(resolved?.eventTypes).toEqual([{ name: "purchase", fields: [{ name: "amount", dataType: "number", required: true }] }]);
  });

  it("lets a viewer list keys but not create or revoke them", async () => {
    const project = await app.caller(owner).projects.create({ orgId, name: "Viewer" });
    const viewer = await joinAs("viewer@example.com", "viewer");
    await expect(app.caller(viewer).apiKeys.list({ projectId: project.id })).resolves.toEqual([]);
    await expect(app.caller(viewer).apiKeys.create({ projectId: project.id, name: "nope" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await app.db.apiKey.count({ where: { projectId: project.id } })).toBe(0);
  });
});

describe("tracking plan", () => {
  it("refuses duplicate event types and field names, and reserved names", async () => {
    const project = await app.caller(owner).projects.create({ orgId, name: "Tracking" });
    const eventType = { name: "signup", description: "", fields: [{ name: "plan", dataType: "string" as const, required: false }] };
    await app.caller(owner).trackingPlan.createEventType({ projectId: project.id, eventType });
    await expect(app.caller(owner).trackingPlan.createEventType({ projectId: project.id, eventType })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(
      app.caller(owner).trackingPlan.createEventType({
        projectId: project.id,
        eventType: { name: "x", description: "", fields: [eventType.fields[0]!, eventType.fields[0]!] },
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(
      app.caller(owner).trackingPlan.createEventType({ projectId: project.id, eventType: { name: "__proto__", description: "", fields: [] } }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("bounds custom attributes by max_custom_attributes", async () => {
    const project = await app.caller(owner).projects.create({ orgId, name: "Bounded" });
    await app.caller(owner).projects.updateSettings({ projectId: project.id, settings: { maxCustomAttributes: 2 } });
    const attribute = (name: string) => ({ entity: "profile" as const, name, type: "number" as const, itemsType: null, indexed: false });
    await app.caller(owner).trackingPlan.createAttribute({ projectId: project.id, attribute: attribute("vip_level") });
    await app.caller(owner).trackingPlan.createAttribute({ projectId: project.id, attribute: attribute("login_count") });
    await expect(app.caller(owner).trackingPlan.createAttribute({ projectId: project.id, attribute: attribute("third") })).rejects.toThrow("at most 2");
    await expect(app.caller(owner).projects.updateSettings({ projectId: project.id, settings: { maxCustomAttributes: 1 } })).rejects.toThrow(
      "already defines 2",
    );
  });
});
