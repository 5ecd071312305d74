import { expect, test, type Page } from "@playwright/test";
import { DEMO, signIn, trpc } from "./helpers";

/** Set E2E_SCREENSHOTS=dir to keep a full-page picture of every page the journey visits. */
async function shot(page: Page, name: string) {
  const dir = process.env.E2E_SCREENSHOTS;
  if (dir) await page.screenshot({ path: `${dir}/alerts-${name}.png`, fullPage: true });
}

const DAY = 86_400_000;

test("a metric alert made on a saved trend is tested, judged by the worker on the last complete day, notifies, and reads on a phone", async ({ page }) => {
  test.setTimeout(240_000);
  await signIn(page, DEMO.email, DEMO.password);
  const organizations = await trpc<Array<{ id: string }>>(page, "organizations.list", null, "query");
  const project = await trpc<{ id: string }>(page, "projects.create", { orgId: organizations[0]!.id, name: `Watch ${Date.now()}` });
  const today = Math.floor(Date.now() / DAY) * DAY;
  const report = await trpc<{ id: string }>(page, "savedReports.create", {
    projectId: project.id,
    name: "Daily purchases",
    spec: {
      kind: "trend",
      definition: {
        range: { from: new Date(today - 7 * DAY).toISOString(), to: new Date(today + DAY).toISOString() },
        interval: "day",
        series: [{ event: "purchase", filters: [] }],
        filters: [],
      },
    },
  });
  const base = `/projects/${project.id}`;

  // The saved trend's page has an Alerts section, empty at first.
  await page.goto(`${base}/reports?report=${report.id}`);
  await expect(page.getByRole("heading", { name: "Alerts", exact: true })).toBeVisible();
  await expect(page.getByText("No alerts yet")).toBeVisible();

  // Yesterday had no purchases: "below 1000" fires. The form says so before saving.
  await page.getByRole("button", { name: "New alert" }).click();
  const form = page.getByRole("form", { name: "New alert" });
  await form.getByLabel("Alert name").fill("Too few purchases");
  await form.getByLabel("Fires when the value is").selectOption("below");
  await form.getByLabel("Threshold").fill("1000");
  await form.getByRole("button", { name: "Test now" }).click();
  await expect(form.getByText("0 is below 1000")).toBeVisible({ timeout: 30_000 });

  // A profile action must name its profile: an alert has no event.
  await form.getByLabel("Action type").selectOption("notification");
  await form.getByRole("button", { name: "Add action" }).click();
  await form.getByLabel("Title").fill("Purchases dropped");
  await form.getByLabel("Action type").selectOption("tag_profile");
  await form.getByRole("button", { name: "Add action" }).click();
  await form.getByLabel("Tag").fill("on-call");
  await form.getByRole("button", { name: "Save alert" }).click();
  await expect(form.getByText(/Profile id/).last()).toBeVisible();
  await expect(form.getByText(/name the profile to change/).first()).toBeVisible();
  await form.getByLabel("Profile id").fill("ops-team");
  await form.getByRole("button", { name: "Save alert" }).click();
  await expect(form).toBeHidden();

  const card = page.locator("section").filter({ has: page.getByRole("heading", { name: "Too few purchases" }) });
  await expect(card.getByText("fires below 1000")).toBeVisible();
  await expect(card.getByText("Tag profile of ops-team “on-call”")).toBeVisible();
  await card.getByRole("button", { name: "Show history" }).click();
  await shot(page, "report-1440");

  // The worker checks every minute: the last complete day is judged and the actions run.
  await expect(async () => {
    await page.reload();
    await card.getByRole("button", { name: "Show history" }).click();
    await expect(card.getByRole("table", { name: "History of Too few purchases" }).getByText("firing")).toBeVisible({ timeout: 2_000 });
  }).toPass({ timeout: 150_000, intervals: [5_000] });
  const yesterday = new Date(today - DAY).toISOString().slice(0, 10);
  await expect(card.getByRole("table").getByRole("cell", { name: yesterday })).toBeVisible();
  await expect(card.getByText("actions run")).toBeVisible();
  const notifications = await trpc<{ items: Array<{ title: string }> }>(page, "notifications.list", { projectId: project.id }, "query");
  expect(JSON.stringify(notifications)).toContain("Purchases dropped");
  await shot(page, "report-history-1440");

  // The project's Alerts page lists it with its report, also on a phone.
  await page.getByRole("navigation", { name: "Project sections" }).getByRole("link", { name: "Alerts", exact: true }).click();
  await expect(page).toHaveURL(`${base}/alerts`);
  const listed = page.locator("section").filter({ has: page.getByRole("heading", { name: "Too few purchases" }) });
  await expect(listed.getByRole("link", { name: "Daily purchases" })).toBeVisible();
  await expect(listed.getByText("firing")).toBeVisible();
  await shot(page, "list-1440");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await expect(listed.getByText("firing")).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await listed.getByRole("button", { name: "Show history" }).click();
  await expect(listed.getByRole("table")).toBeVisible();
  await shot(page, "list-390");
  await listed.getByRole("button", { name: "Edit Too few purchases" }).click();
  await expect(page.getByRole("form", { name: "Edit alert Too few purchases" })).toBeVisible();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await shot(page, "edit-390");
});
