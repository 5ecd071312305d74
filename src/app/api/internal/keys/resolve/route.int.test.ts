import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "~/testing/app";

const SECRET = "internal-secret-for-tests-0000";
let app: TestApp;
let POST: (request: Request) => Promise<Response>;
let apiKey: string;
let projectId: string;

function resolve(body: unknown, secret: string | null = SECRET): Promise<Response> {
  return POST(
    new Request("http://app.test/api/internal/keys/resolve", {
      method: "POST",
      headers: { "content-type": "application/json", ...(secret ? { "x-internal-secret": secret } : {}) },
      body: JSON.stringify(body),
    }),
  );
}

beforeAll(async () => {
  app = await createTestApp();
  // The route reads its configuration from the environment, like the deployed app.
  process.env.DATABASE_URL = app.url;
  process.env.INTERNAL_SECRET = SECRET;
  ({ POST } = await import("./route"));
  const { user, orgId } = await app.signUp("internal@example.com");
  projectId = (await app.caller(user).projects.create({ orgId, name: "Internal" })).id;
  apiKey = (await app.caller(user).apiKeys.create({ projectId, name: "edge" })).secret;
});
afterAll(async () => {
  await app?.close();
});

describe("internal key endpoint", () => {
  it("refuses callers without the internal secret", async () => {
    expect((await resolve({ apiKey }, null)).status).toBe(401);
    expect((await resolve({ apiKey }, "wrong-secret-wrong-secret")).status).toBe(401);
  });

  it("returns the project, settings and plan for a live key, and 404 once it is revoked", async () => {
    const live = await resolve({ apiKey });
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ project: { id: projectId, archived: false, timezone: "UTC" }, eventTypes: [], attributes: [] });
    await app.db.apiKey.updateMany({ where: { projectId }, data: { revokedAt: new Date() } });
    expect((await resolve({ apiKey })).status).toBe(404);
  });

  it("answers malformed bodies with 400", async () => {
    expect((await resolve({ key: apiKey })).status).toBe(400);
    expect((await resolve("nope")).status).toBe(400);
  });
});
