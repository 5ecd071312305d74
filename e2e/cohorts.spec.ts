import { expect, test, type Page } from "@playwright/test";
import { DEMO, signIn, trpc } from "./helpers";

/** Set E2E_SCREENSHOTS=dir to keep a full-page picture of every page the journey visits. */
async function shot(page: Page, name: string) {
  const dir = process.env.E2E_SCREENSHOTS;
  if (dir) await page.screenshot({ path: `${dir}/cohorts-${name}.png`, fullPage: true });
}

async function fitsThePhone(page: Page) {
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
}

// Who bought how often: buyer-a three times, buyer-b once, browser-c never.
const PURCHASES: Record<string, number> = { "buyer-a": 3, "buyer-b": 1, "browser-c": 0 };

test("a dynamic and a static cohort count their people, and a cohort filter changes a report's numbers", async ({ page, context }) => {
  test.setTimeout(240_000);
  await signIn(page, DEMO.email, DEMO.password);
  const organizations = await trpc<Array<{ id: string }>>(page, "organizations.list", null, "query");
  const project = await trpc<{ id: string }>(page, "projects.create", { orgId: organizations[0]!.id, name: `Cohorts ${Date.now()}` });
  const key = await trpc<{ secret: string }>(page, "apiKeys.create", { projectId: project.id, name: "browser" });
  const base = `/projects/${project.id}`;

  const sdkPage = await context.newPage();
  await sdkPage.goto(`/sdk/demo.html#key=${key.secret}`);
  await expect(sdkPage.locator("#status")).toHaveText("Ready.");
  await sdkPage.evaluate(async (purchases) => {
    type Sdk = {
      identify: (id: string, props?: Record<string, unknown>) => void;
      track: (name: string, props?: Record<string, unknown>) => void;
      flush: () => Promise<void>;
    };
    const sdk = (await import(new URL("/sdk/prism.js", location.href).href)) as Sdk;
    for (const [profile, times] of Object.entries(purchases)) {
      sdk.identify(profile, { plan: profile === "buyer-a" ? "pro" : "free" });
      sdk.track("page_view", { path: "/shop" });
      for (let time = 0; time < times; time += 1) sdk.track("purchase", { amount: 10 });
    }
    await sdk.flush();
  }, PURCHASES);
  await sdkPage.close();

  // No cohorts yet: the page says what they are for.
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(base);
  await page.getByRole("navigation", { name: "Project sections" }).getByRole("link", { name: "Cohorts" }).click();
  await expect(page.getByText("No cohorts yet")).toBeVisible();
  await shot(page, "empty-1440");

  // A dynamic cohort: did purchase at least twice in the last 30 days.
  await page.getByRole("button", { name: "Create a cohort" }).click();
  const form = page.getByRole("form", { name: "New cohort" });
  await form.getByLabel("Name").fill("Frequent buyers");
  await expect(form.getByLabel("Key")).toHaveValue("frequent_buyers");
  await form.getByLabel("Condition 1 event").fill("purchase");
  await form.getByLabel("Condition 1 times").fill("2");
  await shot(page, "form-1440");
  await form.getByRole("button", { name: "Create cohort" }).click();
  await expect(page.getByRole("heading", { name: "Frequent buyers" })).toBeVisible();
  await expect(page.getByText("did purchase at least 2 times in the last 30 days")).toBeVisible();
  // The events may still be on their way: count again until the buyer is there.
  const count = page.getByTestId("cohort-member-count");
  await expect(async () => {
    await page.getByRole("button", { name: "Count now" }).click();
    await expect(count).toHaveText("1 person", { timeout: 3_000 });
  }).toPass({ timeout: 60_000 });
  await page.reload();
  await expect(page.getByTestId("cohort-member")).toHaveText(["buyer-a"]);
  await shot(page, "dynamic-1440");

  // A static cohort from pasted ids: the repeat is left out and said so.
  await page.getByRole("link", { name: "All cohorts" }).click();
  await page.getByRole("button", { name: "New cohort" }).click();
  await form.getByLabel("Name").fill("Hand picked");
  await form.getByText("Static", { exact: true }).click();
  await form.getByRole("button", { name: "Create cohort" }).click();
  await expect(page.getByRole("heading", { name: "Hand picked" })).toBeVisible();
  await expect(page.getByText("Nobody in this cohort")).toBeVisible();
  await page.getByLabel("Profile ids").fill("buyer-b\nbrowser-c\nbuyer-b\n");
  await expect(page.getByTestId("member-ids-preview")).toContainText("2 ids to store, 1 duplicates left out");
  await page.getByRole("button", { name: "Replace members with 2 ids" }).click();
  await expect(page.getByTestId("member-upload-result")).toContainText("Stored 2 members. Added: 2 · duplicates: 1 · rejected: 0");
  await expect(page.getByTestId("cohort-member")).toHaveText(["browser-c", "buyer-b"]);
  await expect(count).toHaveText("2 people");
  await shot(page, "static-1440");

  // The list shows both, with their sizes and kinds.
  await page.getByRole("link", { name: "All cohorts" }).click();
  const rows = page.getByTestId("cohort-row");
  await expect(rows).toHaveCount(2);
  await expect(rows.filter({ hasText: "Frequent buyers" }).getByTestId("cohort-member-count")).toHaveText("1 person");
  await expect(rows.filter({ hasText: "Hand picked" }).getByTestId("cohort-member-count")).toHaveText("2 people");
  await expect(rows.filter({ hasText: "Hand picked" })).toContainText("static");
  await shot(page, "list-1440");

  // A trend of purchases: 4 in all, 3 by the frequent buyers, 1 by the hand-picked, 1 by everyone else.
  await page.getByRole("navigation", { name: "Project sections" }).getByRole("link", { name: "Reports" }).click();
  await page.getByLabel("Series 1 event").fill("purchase");
  const total = page.getByTestId("trend-series-total");
  await expect(total).toHaveText(["4"], { timeout: 30_000 });
  await page.getByRole("button", { name: "Add cohort filter" }).click();
  await page.getByLabel("Cohort filter 1 cohort").selectOption({ label: "Frequent buyers" });
  await expect(total).toHaveText(["3"], { timeout: 30_000 });
  await page.getByLabel("Cohort filter 1 cohort").selectOption({ label: "Hand picked" });
  await expect(total).toHaveText(["1"], { timeout: 30_000 });
  await page.getByLabel("Cohort filter 1 operator").selectOption({ label: "not in cohort" });
  await expect(total).toHaveText(["3"], { timeout: 30_000 });
  await shot(page, "report-filter-1440");
  await page.getByRole("button", { name: "Remove cohort filter 1" }).click();
  await expect(total).toHaveText(["4"], { timeout: 30_000 });

  // Broken down by both cohorts: a tab each, the chart of its people.
  await page.getByRole("button", { name: "Break down by cohort Frequent buyers" }).click();
  await page.getByRole("button", { name: "Break down by cohort Hand picked" }).click();
  const tabs = page.getByRole("tablist", { name: "Cohort breakdown" });
  await expect(tabs.getByRole("tab")).toHaveText(["Everyone", "Frequent buyers", "Hand picked"], { timeout: 30_000 });
  await tabs.getByRole("tab", { name: "Frequent buyers" }).click();
  await expect(total).toHaveText(["3"]);
  await tabs.getByRole("tab", { name: "Hand picked" }).click();
  await expect(total).toHaveText(["1"]);
  await shot(page, "report-breakdown-1440");

  // On a phone: nothing wider than the screen (the report's chart is redrawn for the new width on its own schedule, so only pictured).
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, "report-390");
  await page.goto(`${base}/cohorts`);
  await expect(rows).toHaveCount(2);
  await fitsThePhone(page);
  await shot(page, "list-390");
  await page.getByRole("button", { name: "New cohort" }).click();
  await form.getByRole("button", { name: "Profile condition" }).click();
  await fitsThePhone(page);
  await shot(page, "form-390");
  await form.getByRole("button", { name: "Cancel" }).click();
  await rows.filter({ hasText: "Hand picked" }).getByRole("link", { name: "Open Hand picked" }).click();
  await expect(page.getByRole("heading", { name: "Hand picked" })).toBeVisible();
  await fitsThePhone(page);
  await shot(page, "static-390");

  // Deleting asks for the key first.
  await page.getByRole("button", { name: "Delete Hand picked" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete the cohort “Hand picked”?" });
  await expect(dialog.getByRole("button", { name: "Delete cohort" })).toBeDisabled();
  await dialog.getByLabel("Type hand_picked to confirm").fill("hand_picked");
  await dialog.getByRole("button", { name: "Delete cohort" }).click();
  await expect(page).toHaveURL(new RegExp(`${base}/cohorts$`));
  await expect(rows).toHaveCount(1);
});
