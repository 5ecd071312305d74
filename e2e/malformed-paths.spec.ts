import { expect, test } from "@playwright/test";

// Next decodes dynamic segments before any route runs; a malformed escape used to be a bare 500.
test("a malformed percent-escape in any address is a 400, never a 500", async ({ baseURL }) => {
  const answers: Record<string, { status: number; error?: string }> = {};
  for (const path of ["/invite/%ZZ", "/projects/%ZZ/events", "/orgs/%E0%A4%A", "/api/projects/%ZZ/export", "/api/trpc/%ZZ", "/api/v1/profiles/%ZZ"]) {
    const res = await fetch(`${baseURL}${path}`, { redirect: "manual" });
    const body = res.headers.get("content-type")?.includes("json") ? ((await res.json()) as { error?: string }) : { text: await res.text() };
    answers[path] = { status: res.status, ...("error" in body ? { error: body.error } : {}) };
  }
  expect(answers).toEqual({
    "/invite/%ZZ": { status: 400 },
    "/projects/%ZZ/events": { status: 400 },
    "/orgs/%E0%A4%A": { status: 400 },
    "/api/projects/%ZZ/export": { status: 400, error: "malformed" },
    "/api/trpc/%ZZ": { status: 400, error: "malformed" },
    "/api/v1/profiles/%ZZ": { status: 400, error: "malformed" },
  });
  // Well-formed escapes still reach their pages.
  expect((await fetch(`${baseURL}/invite/abc%20def`, { redirect: "manual" })).status).toBeLessThan(500);
});
