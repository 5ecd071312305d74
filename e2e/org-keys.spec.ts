/** An organisation key from the organisation page: created and shown once, it creates a project over REST, and once revoked it is refused. */
import { expect, test } from "@playwright/test";
import { trpc } from "./helpers";

test("an owner creates an organisation key, a script creates a project with it, and revoking it ends its access", async ({ page }) => {
  const stamp = Date.now();
  await page.goto("/signup");
  await page.getByLabel("Name").fill("Olga Org");
  await page.getByLabel("Email").fill(`org-keys-${stamp}@example.com`);
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/projects/);
  const [organization] = await trpc<Array<{ id: string }>>(page, "organizations.list", null, "query");
  await page.goto(`/orgs/${organization!.id}`);

  await page.getByLabel("Key name").fill("CI");
  await page.getByRole("button", { name: "Create organisation key" }).click();
  const secretCell = page.getByTestId("org-api-key-secret");
  await expect(secretCell).toBeVisible();
  const secret = (await secretCell.textContent())!.trim();
  expect(secret).toMatch(/^ef_live_/);
  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByTestId("org-api-key-secret")).toHaveCount(0);
  const table = page.getByRole("table", { name: "Organisation API keys" });
  await expect(table.getByRole("row", { name: /CI/ })).toContainText("Never");

  const headers = { authorization: `Bearer ${secret}` };
  const created = await page.request.post("/api/v1/projects", { headers, data: { name: `From CI ${stamp}` } });
  expect(created.status()).toBe(201);
  const project = (await created.json()) as { id: string; organization: { id: string } };
  expect(project.organization.id).toBe(organization!.id);
  const trigger = { name: "Purchases", rule: "event.name == 'purchase'", actions: [], enabled: true, cooldownSeconds: 0 };
  expect((await page.request.post("/api/v1/triggers", { headers, data: { project_id: project.id, trigger } })).status()).toBe(201);
  expect((await page.request.post("/api/v1/reports/trend", { headers, data: { project_id: project.id } })).status()).toBe(403);

  await page.reload();
  await expect(page.getByRole("link", { name: `From CI ${stamp}` }).first()).toBeVisible();
  await expect(table.getByRole("row", { name: /CI/ })).not.toContainText("Never");
  await page.getByRole("button", { name: "Revoke CI" }).click();
  await page.getByRole("button", { name: "Revoke key" }).click();
  await expect(table.getByRole("row", { name: /CI/ })).toContainText("revoked");
  expect((await page.request.get("/api/v1/projects", { headers })).status()).toBe(401);
});
