import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { SessionUser } from "~/server/api/trpc";
import { createTestApp, tokenFromMail, type TestApp } from "~/testing/app";

let app: TestApp;
let owner: SessionUser;
let orgId: string;
let projectId: string;
let outsider: SessionUser;
let outsiderProjectId: string;

async function joinAs(email: string, role: "viewer" | "member" | "admin"): Promise<SessionUser> {
  await app.caller(owner).invites.create({ orgId, email, role });
  const token = tokenFromMail(app.mails, email, "/invite/");
  const { userId } = await app.caller(null).account.signUp({ email, name: email, password: "a long password", inviteToken: token });
  return { id: userId, email, name: email };
}

// A self-hosted setup that allow-lists one internal name and one private range for its worker;
// the app reads the same setting (appEnv is parsed on first use, so it is set before any call).
const ALLOW_HOSTS = "hooks.internal, 10.20.0.0/16";

beforeAll(async () => {
  app = await createTestApp();
  vi.stubEnv("DATABASE_URL", app.url);
  vi.stubEnv("WEBHOOK_ALLOW_HOSTS", ALLOW_HOSTS);
  ({ user: owner, orgId } = await app.signUp("webhooks-owner@example.com"));
  projectId = (await app.caller(owner).projects.create({ orgId, name: "Shop" })).id;
  const other = await app.signUp("webhooks-outsider@example.com");
  outsider = other.user;
  outsiderProjectId = (await app.caller(outsider).projects.create({ orgId: other.orgId, name: "Theirs" })).id;
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await app?.close();
});

const create = (user: SessionUser, url: string, project = projectId) =>
  app.caller(user).webhooks.create({ projectId: project, endpoint: { url, description: "CRM" } });

describe("webhook endpoints", () => {
  it("returns the whsec_ secret once at creation; lists and delivery logs never do", async () => {
    const created = await create(owner, "https://hooks.example.com/prism");
    expect(created).toMatchObject({
      id: expect.stringMatching(/^whe_/),
      url: "https://hooks.example.com/prism",
      description: "CRM",
      enabled: true,
      consecutiveFailures: 0,
    });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{44}$/);
    const { endpoints, policy } = await app.caller(owner).webhooks.list({ projectId });
    expect(endpoints.map((e) => e.id)).toContain(created.id);
    expect(JSON.stringify(endpoints)).not.toContain(created.secret);
    expect(JSON.stringify(endpoints)).not.toContain("whsec_");
    expect(policy.timeoutMs).toBe(5000);
    expect(JSON.stringify(await app.caller(owner).webhooks.deliveries({ projectId, endpointId: created.id }))).not.toContain("whsec_");
  });

  it.each([
    ["http://127.0.0.1:8080/", "loopback"],
    ["http://10.1.2.3/", "private"],
    ["http://169.254.169.254/latest/meta-data", "link-local"],
    ["http://[::1]/", "loopback"],
    ["http://localhost/", "local name"],
    ["ftp://example.com/", "http:// or https://"],
    ["https://user:secret@example.com/", "user name or password"],
  ])("refuses %s with a clear message", async (url, message) => {
    await expect(create(owner, url)).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining(message) });
  });

  it("saves private targets that WEBHOOK_ALLOW_HOSTS names, and only those", async () => {
    const byName = await create(owner, "http://hooks.internal:8080/prism");
    expect(byName).toMatchObject({ url: "http://hooks.internal:8080/prism" });
    const inRange = await create(owner, "http://10.20.3.4/hooks");
    expect(inRange).toMatchObject({ url: "http://10.20.3.4/hooks" });
    // Neighbours of the allowed entries stay refused.
    await expect(create(owner, "http://10.21.0.1/hooks")).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("WEBHOOK_ALLOW_HOSTS"),
    });
    await expect(create(owner, "http://other.internal/")).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("local name") });
    // Updates are judged the same way.
    const moved = await app
      .caller(owner)
      .webhooks.update({ projectId, endpointId: inRange.id, endpoint: { url: "http://hooks.internal/v2", description: "" } });
    expect(moved.url).toBe("http://hooks.internal/v2");
    await expect(
      app.caller(owner).webhooks.update({ projectId, endpointId: inRange.id, endpoint: { url: "http://127.0.0.1/", description: "" } }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("loopback") });
    expect((await app.db.webhookEndpoint.findUniqueOrThrow({ where: { id: inRange.id } })).url).toBe("http://hooks.internal/v2");
  });

  it("refuses hostile input: unknown and __proto__ keys, wrong types, huge strings", async () => {
    const caller = app.caller(owner);
    await expect(caller.webhooks.create({ projectId, endpoint: { url: 42 as never, description: "" } })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(caller.webhooks.create({ projectId, endpoint: { url: `https://example.com/${"a".repeat(100_000)}`, description: "" } })).rejects.toMatchObject(
      {
        code: "BAD_REQUEST",
        message: expect.stringContaining("at most 2048"),
      },
    );
    await expect(
      caller.webhooks.create(JSON.parse(`{"projectId":"${projectId}","endpoint":{"url":"https://example.com/","__proto__":{"x":1}}}`)),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(
      caller.webhooks.create({ projectId, endpoint: { url: "https://example.com/", description: "", secret: "whsec_mine" } as never }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });

  it("lets viewers read but only admins change endpoints", async () => {
    const viewer = await joinAs("webhooks-viewer@example.com", "viewer");
    const member = await joinAs("webhooks-member@example.com", "member");
    const endpoint = await create(owner, "https://roles.example.com/");
    expect((await app.caller(viewer).webhooks.list({ projectId })).endpoints.map((e) => e.id)).toContain(endpoint.id);
    await expect(create(viewer, "https://viewer.example.com/")).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(create(member, "https://member.example.com/")).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(app.caller(member).webhooks.delete({ projectId, endpointId: endpoint.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("keeps other tenants' endpoints invisible and untouchable", async () => {
    const theirs = await create(outsider, "https://theirs.example.com/", outsiderProjectId);
    expect(JSON.stringify(await app.caller(owner).webhooks.list({ projectId }))).not.toContain(theirs.id);
    await expect(app.caller(owner).webhooks.list({ projectId: outsiderProjectId })).rejects.toMatchObject({ code: "NOT_FOUND" });
    for (const attempt of [
      () => app.caller(owner).webhooks.deliveries({ projectId, endpointId: theirs.id }),
      () => app.caller(owner).webhooks.setEnabled({ projectId, endpointId: theirs.id, enabled: false }),
      () => app.caller(owner).webhooks.rotateSecret({ projectId, endpointId: theirs.id }),
      () => app.caller(owner).webhooks.delete({ projectId, endpointId: theirs.id }),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ code: "NOT_FOUND" });
    }
    expect(await app.db.webhookEndpoint.findUniqueOrThrow({ where: { id: theirs.id } })).toMatchObject({ enabled: true, secret: theirs.secret });
  });

  it("disables by hand with a reason, and re-enabling clears the reason and the failure count", async () => {
    const endpoint = await create(owner, "https://toggle.example.com/");
    const disabled = await app.caller(owner).webhooks.setEnabled({ projectId, endpointId: endpoint.id, enabled: false });
    expect(disabled).toMatchObject({ enabled: false, disabledReason: expect.stringContaining("webhooks-owner@example.com") });
    await app.db.webhookEndpoint.update({ where: { id: endpoint.id }, data: { consecutiveFailures: 10, disabledReason: "Disabled automatically: 410 Gone" } });
    const enabled = await app.caller(owner).webhooks.setEnabled({ projectId, endpointId: endpoint.id, enabled: true });
    expect(enabled).toMatchObject({ enabled: true, disabledReason: null, consecutiveFailures: 0 });
  });

  it("rotates the secret, returning the new one once", async () => {
    const endpoint = await create(owner, "https://rotate.example.com/");
    const rotated = await app.caller(owner).webhooks.rotateSecret({ projectId, endpointId: endpoint.id });
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(endpoint.secret);
    expect((await app.db.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } })).secret).toBe(rotated.secret);
  });

  it("shows deliveries with their attempts and retries a failed one", async () => {
    const endpoint = await create(owner, "https://log.example.com/");
    await app.db.webhookDelivery.create({
      data: {
        id: "msg_log_1",
        endpointId: endpoint.id,
        projectId,
        payload: { type: "trigger.fired" },
        status: "failed",
        attempts: 2,
        lastStatusCode: 500,
        lastError: "HTTP 500",
        attemptLog: {
          create: [
            { attempt: 1, statusCode: 500, latencyMs: 12, error: "HTTP 500" },
            { attempt: 2, statusCode: 500, latencyMs: 15, error: "HTTP 500" },
          ],
        },
      },
    });
    const [delivery] = await app.caller(owner).webhooks.deliveries({ projectId, endpointId: endpoint.id });
    expect(delivery).toMatchObject({ id: "msg_log_1", status: "failed", attempts: 2, lastStatusCode: 500, payload: { type: "trigger.fired" } });
    expect(delivery!.attemptLog.map((a) => a.attempt)).toEqual([2, 1]);

    const viewer = await joinAs("webhooks-retry-viewer@example.com", "viewer");
    await expect(app.caller(viewer).webhooks.retryDelivery({ projectId, deliveryId: "msg_log_1" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(app.caller(outsider).webhooks.retryDelivery({ projectId: outsiderProjectId, deliveryId: "msg_log_1" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });

    expect(await app.caller(owner).webhooks.retryDelivery({ projectId, deliveryId: "msg_log_1" })).toEqual({ retrying: true });
    expect(await app.db.webhookDelivery.findUniqueOrThrow({ where: { id: "msg_log_1" } })).toMatchObject({ status: "pending" });
    await expect(app.caller(owner).webhooks.retryDelivery({ projectId, deliveryId: "msg_log_1" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("this one is pending"),
    });
  });

  it("deletes an endpoint with its deliveries", async () => {
    const endpoint = await create(owner, "https://gone.example.com/");
    await app.db.webhookDelivery.create({ data: { id: "msg_delete_1", endpointId: endpoint.id, projectId, payload: {} } });
    expect(await app.caller(owner).webhooks.delete({ projectId, endpointId: endpoint.id })).toEqual({ deleted: true });
    expect(await app.db.webhookDelivery.count({ where: { id: "msg_delete_1" } })).toBe(0);
    await expect(app.caller(owner).webhooks.delete({ projectId, endpointId: endpoint.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
