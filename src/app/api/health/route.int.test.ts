/** The app's /api/health route handler against a real database: status, version and commit. */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { createTestDatabase } from "~/testing/postgres";

const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase(inject("postgresServerUrl"));
  process.env.DATABASE_URL = database.url;
});
afterAll(async () => {
  await database.drop();
});

it("answers ok with package.json's version and the checked-out commit", async () => {
  const { GET } = await import("./route");
  const response = await GET();
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ status: "ok", version, commit: expect.stringMatching(/^[0-9a-f]{40}$/), postgres: "ok" });
});
