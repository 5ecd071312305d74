/**
 * Organisation keys on the public REST API, through the real Next route handlers and real
 * PostgreSQL: an organisation's manage key lists and creates its projects and manages any of them
 * (named in project_id) exactly as the UI's procedures do, never another organisation's, reads no
 * reports or events, and mints no organisation key; project keys stay within their project.
 */
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveApiKey, resolveScopedKey } from "~/platform/resolve-key";
import { createCaller } from "~/server/api/root";
import { createTRPCContext, type SessionUser } from "~/server/api/trpc";
import { createTestApp, type TestApp } from "~/testing/app";
import { restRoutes } from "./routes";

type Handler = (request: Request, context: { params: Promise<Record<string, string>> }) => Promise<Response> | Response;
type Module = Partial<Record<"GET" | "POST", Handler>>;

let app: TestApp;
let owner: SessionUser;
let orgId: string;
let shopId: string;
let blogId: string;
let otherOrgId: string;
let otherProjectId: string;
let orgKey: { id: string; secret: string };
let otherOrgKey: string;
const projectKeys = { read: "", manage: "" };
let modules: Record<string, Module>;

beforeAll(async () => {
  app = await createTestApp();
  process.env.DATABASE_URL = app.url;
  const mine = await app.signUp("org-keys-owner@example.com", "Owner");
  owner = mine.user;
  orgId = mine.orgId;
  shopId = (await app.caller(owner).projects.create({ orgId, name: "Shop" })).id;
  blogId = (await app.caller(owner).projects.create({ orgId, name: "Blog" })).id;
  const theirs = await app.signUp("org-keys-other@example.com", "Other");
  otherOrgId = theirs.orgId;
  otherProjectId = (await app.caller(theirs.user).projects.create({ orgId: otherOrgId, name: "Theirs" })).id;
  await app.caller(theirs.user).triggers.create({
    projectId: otherProjectId,
    trigger: { name: "theirs", rule: "event.name == 'x'", actions: [], enabled: true, cooldownSeconds: 0 },
  });
  orgKey = await app.caller(owner).apiKeys.createForOrg({ orgId, name: "CI" });
  otherOrgKey = (await app.caller(theirs.user).apiKeys.createForOrg({ orgId: otherOrgId, name: "theirs" })).secret;
  projectKeys.read = (await app.caller(owner).apiKeys.create({ projectId: shopId, name: "read", kind: "read" })).secret;
  projectKeys.manage = (await app.caller(owner).apiKeys.create({ projectId: shopId, name: "manage", kind: "manage" })).secret;
  modules = {
    "/api/v1/projects": await import("~/app/api/v1/projects/route"),
    "/api/v1/triggers": await import("~/app/api/v1/triggers/route"),
    "/api/v1/triggers/test": await import("~/app/api/v1/triggers/test/route"),
    "/api/v1/attributes": await import("~/app/api/v1/attributes/route"),
    "/api/v1/api-keys": await import("~/app/api/v1/api-keys/route"),
    "/api/v1/events": await import("~/app/api/v1/events/route"),
    "/api/v1/reports/query": await import("~/app/api/v1/reports/query/route"),
    "/api/v1/reports/funnel": await import("~/app/api/v1/reports/funnel/route"),
    "/api/v1/reports/trend": await import("~/app/api/v1/reports/trend/route"),
    "/api/v1/reports/segment": await import("~/app/api/v1/reports/segment/route"),
    "/api/v1/reports/paths": await import("~/app/api/v1/reports/paths/route"),
  };
});

afterAll(async () => {
  await app?.close();
});

async function send(method: "GET" | "POST", path: string, key: string | null, input: Record<string, unknown> = {}): Promise<Response> {
  const url = new URL(`http://app.test${path}`);
  if (method === "GET")
    for (const [name, value] of Object.entries(input)) url.searchParams.set(name, typeof value === "string" ? value : JSON.stringify(value));
  const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
  if (method === "POST") headers["content-type"] = "application/json";
  const request = new Request(url, { method, headers, body: method === "POST" ? JSON.stringify(input) : undefined });
  const handler = modules[path]?.[method];
  if (!handler) throw new Error(`No handler for ${method} ${path}`);
  return handler(request, { params: Promise.resolve({}) });
}

const body = async (response: Response) => JSON.parse(await response.text()) as unknown;
/** What tRPC answers, as JSON (dates become ISO strings, as the REST body has them). */
const asJson = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;
const trigger = (name: string) => ({ name, rule: "event.name == 'purchase'", actions: [], enabled: true, cooldownSeconds: 0 });

describe("an organisation key", () => {
  it("lists its organisation's projects and creates one, as the UI's procedures do", async () => {
    const listed = await send("GET", "/api/v1/projects", orgKey.secret);
    expect(listed.status).toBe(200);
    const ui = await app.caller(owner).projects.listForOrg({ orgId });
    expect(await body(listed)).toEqual(asJson(ui.map((project) => ({ ...project, role: "admin" }))));
    expect(ui.map((project) => project.id).sort()).toEqual([shopId, blogId].sort());

    const created = await send("POST", "/api/v1/projects", orgKey.secret, { name: "From CI", timezone: "Europe/Paris" });
    expect(created.status).toBe(201);
    const project = (await body(created)) as { id: string; organization: { id: string }; timezone: string };
    expect(project.organization.id).toBe(orgId);
    expect(project.timezone).toBe("Europe/Paris");
    expect((await app.caller(owner).projects.get({ projectId: project.id })).name).toBe("From CI");
    expect((await send("POST", "/api/v1/projects", orgKey.secret, { name: "From CI" })).status).toBe(409);
    const invalid = await send("POST", "/api/v1/projects", orgKey.secret, { name: "" });
    expect(invalid.status).toBe(422);
    expect(await body(invalid)).toMatchObject({ error: "invalid_input" });
  });

  it("manages any project of its organisation named in project_id, answering as the UI's procedures do", async () => {
    for (const projectId of [shopId, blogId]) {
      const created = await send("POST", "/api/v1/triggers", orgKey.secret, { project_id: projectId, trigger: trigger(`In ${projectId}`) });
      expect(created.status).toBe(201);
      const listed = await body(await send("GET", "/api/v1/triggers", orgKey.secret, { project_id: projectId }));
      expect(listed).toEqual(asJson(await app.caller(owner).triggers.list({ projectId })));
      expect((listed as Array<{ name: string }>).map((row) => row.name)).toEqual([`In ${projectId}`]);

      const test = { rule: "event.props.amount > 5", event: { name: "purchase", props: { amount: 10 } } };
      expect(await body(await send("POST", "/api/v1/triggers/test", orgKey.secret, { project_id: projectId, ...test }))).toEqual(
        asJson(await app.caller(owner).triggers.test({ projectId, ...test })),
      );

      const attribute = { entity: "event", name: "amount", type: "number", itemsType: null, indexed: false } as const;
      expect((await send("POST", "/api/v1/attributes", orgKey.secret, { project_id: projectId, attribute })).status).toBe(201);
      const plan = await app.caller(owner).trackingPlan.get({ projectId });
      expect(await body(await send("GET", "/api/v1/attributes", orgKey.secret, { project_id: projectId }))).toEqual(
        asJson({ attributes: plan.attributes, maxCustomAttributes: plan.maxCustomAttributes }),
      );

      const key = await send("POST", "/api/v1/api-keys", orgKey.secret, { project_id: projectId, name: "ingest from CI" });
      expect(key.status).toBe(201);
      expect(await body(await send("GET", "/api/v1/api-keys", orgKey.secret, { project_id: projectId }))).toEqual(
        asJson(await app.caller(owner).apiKeys.list({ projectId })),
      );
      // Like a project manage key, it mints no manage key.
      const manage = await send("POST", "/api/v1/api-keys", orgKey.secret, { project_id: projectId, name: "escalate", kind: "manage" });
      expect(manage.status).toBe(403);
    }
    // The organisation's own keys are not any project's.
    expect(
      ((await body(await send("GET", "/api/v1/api-keys", orgKey.secret, { project_id: shopId }))) as Array<{ id: string }>).map((key) => key.id),
    ).not.toContain(orgKey.id);
  });

  it("needs project_id on project routes, and never takes the procedures' projectId", async () => {
    const missing = await send("GET", "/api/v1/triggers", orgKey.secret);
    expect(missing.status).toBe(422);
    expect(await body(missing)).toMatchObject({ error: "invalid_input", message: expect.stringContaining("project_id") });
    expect((await send("GET", "/api/v1/triggers", orgKey.secret, { projectId: shopId })).status).toBe(422);
    expect((await send("POST", "/api/v1/triggers", orgKey.secret, { project_id: 42, trigger: trigger("Typed") })).status).toBe(422);
  });

  it("never reaches another organisation's projects", async () => {
    const before = {
      triggers: await app.db.trigger.count({ where: { projectId: otherProjectId } }),
      attributes: await app.db.attributeDefinition.count({ where: { projectId: otherProjectId } }),
      keys: await app.db.apiKey.count({ where: { OR: [{ projectId: otherProjectId }, { organizationId: otherOrgId }] } }),
      projects: await app.db.project.count({ where: { organizationId: otherOrgId } }),
    };
    const attempts: Array<["GET" | "POST", string, Record<string, unknown>]> = [
      ["GET", "/api/v1/triggers", {}],
      ["POST", "/api/v1/triggers", { trigger: trigger("Sneaky") }],
      ["POST", "/api/v1/triggers/test", { rule: "true", event: { name: "x" } }],
      ["GET", "/api/v1/attributes", {}],
      ["POST", "/api/v1/attributes", { attribute: { entity: "event", name: "sneaky", type: "number", itemsType: null, indexed: false } }],
      ["GET", "/api/v1/api-keys", {}],
      ["POST", "/api/v1/api-keys", { name: "sneaky", kind: "read" }],
    ];
    for (const [method, path, input] of attempts) {
      const response = await send(method, path, orgKey.secret, { ...input, project_id: otherProjectId });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(await body(response)).toMatchObject({ error: "not_found" });
    }
    const listed = (await body(await send("GET", "/api/v1/projects", orgKey.secret))) as Array<{ id: string }>;
    expect(listed.map((project) => project.id)).not.toContain(otherProjectId);
    // The other organisation's key sees only its own project, and none of ours.
    const theirs = (await body(await send("GET", "/api/v1/projects", otherOrgKey))) as Array<{ id: string }>;
    expect(theirs.map((project) => project.id)).toEqual([otherProjectId]);
    expect((await send("GET", "/api/v1/triggers", otherOrgKey, { project_id: shopId })).status).toBe(404);
    expect({
      triggers: await app.db.trigger.count({ where: { projectId: otherProjectId } }),
      attributes: await app.db.attributeDefinition.count({ where: { projectId: otherProjectId } }),
      keys: await app.db.apiKey.count({ where: { OR: [{ projectId: otherProjectId }, { organizationId: otherOrgId }] } }),
      projects: await app.db.project.count({ where: { organizationId: otherOrgId } }),
    }).toEqual(before);
  });

  it("reads no reports or events and ingests nothing", async () => {
    for (const route of restRoutes.filter((candidate) => candidate.scope === "read")) {
      if (route.path.includes("{")) continue; // the same check; no valid path parameter needed to be refused
      const response = await send(route.method, route.path, orgKey.secret, { project_id: shopId });
      expect(response.status, `${route.method} ${route.path}`).toBe(403);
      expect(await body(response)).toMatchObject({ error: "insufficient_scope" });
    }
    // Ingest resolves write keys only; the organisation key is not one.
    expect(await resolveApiKey(app.db, orgKey.secret)).toBeNull();
  });

  it("cannot mint organisation keys: only a signed-in admin or owner can", async () => {
    const principal = await resolveScopedKey(app.db, orgKey.secret);
    expect(principal).toMatchObject({ projectId: null, organizationId: orgId, kind: "manage" });
    const asKey = createCaller(createTRPCContext({ user: null, apiKey: principal, db: app.db }));
    await expect(asKey.apiKeys.createForOrg({ orgId, name: "escalate" })).rejects.toSatisfy(
      (error: unknown) => error instanceof TRPCError && error.code === "UNAUTHORIZED",
    );
    await expect(asKey.apiKeys.listForOrg({ orgId })).rejects.toBeInstanceOf(TRPCError);
    expect(await app.db.apiKey.count({ where: { organizationId: orgId } })).toBe(1);
  });

  it("is listed with last_used_at, and answers 401 once revoked", async () => {
    const key = await app.caller(owner).apiKeys.createForOrg({ orgId, name: "short-lived" });
    expect(key.kind).toBe("manage");
    expect((await send("GET", "/api/v1/projects", key.secret)).status).toBe(200);
    const listed = (await app.caller(owner).apiKeys.listForOrg({ orgId })).find((row) => row.id === key.id);
    expect(listed).toMatchObject({ status: "active", kind: "manage" });
    expect(listed?.lastUsedAt).not.toBeNull();
    // Another organisation's admin cannot revoke it.
    await expect(app.caller(owner).apiKeys.revokeForOrg({ orgId: otherOrgId, keyId: key.id })).rejects.toBeInstanceOf(TRPCError);
    await app.caller(owner).apiKeys.revokeForOrg({ orgId, keyId: key.id });
    const revoked = await send("GET", "/api/v1/projects", key.secret);
    expect(revoked.status).toBe(401);
    expect(await body(revoked)).toMatchObject({ error: "invalid_key" });
    expect((await app.caller(owner).apiKeys.listForOrg({ orgId })).find((row) => row.id === key.id)?.status).toBe("revoked");
  });
});

describe("project keys on organisation routes", () => {
  it("keeps a read key off configuration and organisation routes", async () => {
    for (const [method, path] of [
      ["GET", "/api/v1/projects"],
      ["POST", "/api/v1/projects"],
    ] as const) {
      const response = await send(method, path, projectKeys.read, method === "POST" ? { name: "Nope" } : {});
      expect(response.status).toBe(403);
      expect(await body(response)).toMatchObject({ error: "insufficient_scope" });
    }
  });

  it("lets a manage key list its own project but not create projects nor reach a sibling project", async () => {
    const created = await send("POST", "/api/v1/projects", projectKeys.manage, { name: "Nope" });
    expect(created.status).toBe(403);
    expect(await body(created)).toMatchObject({ error: "organisation_key_required" });
    expect(await app.db.project.count({ where: { name: "Nope" } })).toBe(0);
    const listed = (await body(await send("GET", "/api/v1/projects", projectKeys.manage))) as Array<{ id: string }>;
    expect(listed.map((project) => project.id)).toEqual([shopId]);
    // Naming its own project is allowed; a sibling in the same organisation does not exist for it.
    expect((await send("GET", "/api/v1/triggers", projectKeys.manage, { project_id: shopId })).status).toBe(200);
    expect((await send("GET", "/api/v1/triggers", projectKeys.manage, { project_id: blogId })).status).toBe(404);
  });
});
