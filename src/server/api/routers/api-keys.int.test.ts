/**
 * Scoped API keys: write keys ingest (as before kinds existed), read keys read, manage keys
 * configure, each on its own project only; checked through the same procedures the REST API calls.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveApiKey, resolveScopedKey } from "~/platform/resolve-key";
import { createCaller } from "~/server/api/root";
import { createTRPCContext, type SessionUser } from "~/server/api/trpc";
import { createTestApp, TEST_APP_URL, type TestApp } from "~/testing/app";

let app: TestApp;
let owner: SessionUser;
let projectId: string;
let otherProjectId: string;
const keys: Record<"write" | "read" | "manage", string> = { write: "", read: "", manage: "" };

/** A caller acting as the key behind `secret`, as src/server/rest builds it. */
async function keyCaller(secret: string) {
  const key = await resolveScopedKey(app.db, secret);
  if (!key) throw new Error("the key does not resolve");
  return createCaller(createTRPCContext({ user: null, apiKey: key, db: app.db, mailer: app.mailer, appUrl: TEST_APP_URL }));
}

const trigger = { name: "Big order", rule: "event.name == 'purchase'", actions: [], enabled: true, cooldownSeconds: 0 };

beforeAll(async () => {
  app = await createTestApp();
  const signedUp = await app.signUp("keys-owner@example.com", "Owner");
  owner = signedUp.user;
  projectId = (await app.caller(owner).projects.create({ orgId: signedUp.orgId, name: "Keys" })).id;
  otherProjectId = (await app.caller(owner).projects.create({ orgId: signedUp.orgId, name: "Other" })).id;
  for (const kind of ["write", "read", "manage"] as const) keys[kind] = (await app.caller(owner).apiKeys.create({ projectId, name: kind, kind })).secret;
});
afterAll(async () => {
  await app?.close();
});

describe("API key kinds", () => {
  it("creates write keys by default and lists every key's kind, never its secret", async () => {
    const plain = await app.caller(owner).apiKeys.create({ projectId, name: "default" });
    expect(plain.kind).toBe("write");
    const listed = await app.caller(owner).apiKeys.list({ projectId });
    expect(Object.fromEntries(listed.map((key) => [key.name, key.kind]))).toEqual({ default: "write", write: "write", read: "read", manage: "manage" });
    for (const secret of [...Object.values(keys), plain.secret]) expect(JSON.stringify(listed)).not.toContain(secret);
  });

  it("lets only write keys ingest: the edge's lookup does not resolve read or manage keys", async () => {
    expect((await resolveApiKey(app.db, keys.write))?.project.id).toBe(projectId);
    expect(await resolveApiKey(app.db, keys.read)).toBeNull();
    expect(await resolveApiKey(app.db, keys.manage)).toBeNull();
  });

  it("records last use and stops a revoked key at once", async () => {
    const created = await app.caller(owner).apiKeys.create({ projectId, name: "short-lived", kind: "read" });
    await keyCaller(created.secret);
    const used = (await app.caller(owner).apiKeys.list({ projectId })).find((key) => key.id === created.id);
    expect(used?.lastUsedAt).not.toBeNull();
    await app.caller(owner).apiKeys.revoke({ projectId, keyId: created.id });
    expect(await resolveScopedKey(app.db, created.secret)).toBeNull();
  });

  it("refuses a write key every procedure: it cannot read", async () => {
    const caller = await keyCaller(keys.write);
    await expect(caller.triggers.list({ projectId })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(caller.trackingPlan.get({ projectId })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(caller.projects.get({ projectId })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("lets a read key read but not change anything", async () => {
    const caller = await keyCaller(keys.read);
    await expect(caller.triggers.list({ projectId })).resolves.toEqual([]);
    await expect(caller.triggers.create({ projectId, trigger })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(caller.apiKeys.create({ projectId, name: "more", kind: "write" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(caller.projects.rename({ projectId, name: "Renamed" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await app.db.trigger.count({ where: { projectId } })).toBe(0);
  });

  it("lets a manage key configure its project and mint write and read keys, never a manage key", async () => {
    const caller = await keyCaller(keys.manage);
    const created = await caller.triggers.create({ projectId, trigger });
    expect(created.name).toBe("Big order");
    expect((await caller.apiKeys.create({ projectId, name: "from ci", kind: "read" })).kind).toBe("read");
    expect((await caller.apiKeys.create({ projectId, name: "ingest from ci" })).kind).toBe("write");
    await expect(caller.apiKeys.create({ projectId, name: "escalate", kind: "manage" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await app.db.apiKey.count({ where: { projectId, kind: "manage" } })).toBe(1);
  });

  it("never reaches another project, nor anything about a person or an organisation", async () => {
    for (const secret of Object.values(keys)) {
      const caller = await keyCaller(secret);
      await expect(caller.triggers.list({ projectId: otherProjectId })).rejects.toMatchObject({ code: expect.stringMatching(/NOT_FOUND|FORBIDDEN/) });
      await expect(caller.projects.list()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
      await expect(caller.account.me()).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    }
    const manage = await keyCaller(keys.manage);
    await expect(manage.triggers.create({ projectId: otherProjectId, trigger })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(manage.apiKeys.create({ projectId: otherProjectId, name: "x" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(manage.notifications.list({ projectId })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await app.db.trigger.count({ where: { projectId: otherProjectId } })).toBe(0);
    expect(await app.db.apiKey.count({ where: { projectId: otherProjectId } })).toBe(0);
  });
});
