import { readFile } from "node:fs/promises";
import { expect, test, type Page } from "@playwright/test";
import { DEMO, signIn, trpc } from "./helpers";

/** Set E2E_SCREENSHOTS=dir to keep a full-page picture of every page the journey visits. */
async function shot(page: Page, name: string) {
  const dir = process.env.E2E_SCREENSHOTS;
  if (dir) await page.screenshot({ path: `${dir}/reports-${name}.png`, fullPage: true });
}

/** Minimal CSV reading for the export check: our cells hold no quotes or line breaks here. */
function parseCsv(text: string): string[][] {
  return text
    .split(/\r?\n/)
    .filter((line) => line !== "")
    .map((line) => line.split(","));
}

// Who does what: a small checkout funnel.
const JOURNEYS: Record<string, string[]> = {
  "shopper-a": ["page_view", "add_to_cart", "purchase"],
  "shopper-b": ["page_view", "add_to_cart"],
  "shopper-c": ["page_view"],
};

test("events sent through the SDK show up live, in a trend and a funnel, on the dashboard and in the CSV export", async ({ page, context }) => {
  test.setTimeout(240_000);
  // The "Updated … ago" lines are drawn after hydration only: React must not report a mismatch.
  const hydrationErrors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" && /hydrat|error #(418|423|425)/i.test(message.text())) hydrationErrors.push(message.text());
  });
  await signIn(page, DEMO.email, DEMO.password);
  const organizations = await trpc<Array<{ id: string }>>(page, "organizations.list", null, "query");
  const project = await trpc<{ id: string }>(page, "projects.create", { orgId: organizations[0]!.id, name: `Reports ${Date.now()}` });
  const key = await trpc<{ secret: string }>(page, "apiKeys.create", { projectId: project.id, name: "browser" });
  const base = `/projects/${project.id}`;

  // The events browser, live, before anything is sent.
  await page.goto(`${base}/events`);
  await expect(page.getByText("No events match")).toBeVisible();
  await page.getByRole("button", { name: "Live" }).click();
  await expect(page.getByRole("button", { name: "Live: on" })).toBeVisible();

  // Send the funnel through the SDK of the playground page (the same module instance the page loaded).
  const sdkPage = await context.newPage();
  await sdkPage.goto(`/sdk/demo.html#key=${key.secret}`);
  await expect(sdkPage.locator("#status")).toHaveText("Ready.");
  await sdkPage.evaluate(async (journeys) => {
    type Sdk = {
      identify: (id: string, props?: Record<string, unknown>) => void;
      track: (name: string, props?: Record<string, unknown>) => void;
      flush: () => Promise<void>;
    };
    const sdk = (await import(new URL("/sdk/prism.js", location.href).href)) as Sdk;
    for (const [profile, steps] of Object.entries(journeys)) {
      sdk.identify(profile, { plan: profile === "shopper-a" ? "pro" : "free" });
      for (const step of steps) {
        sdk.track(step, { path: "/shop" });
        // Funnel steps must be strictly ordered in time.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    await sdk.flush();
  }, JOURNEYS);
  await sdkPage.close();

  // The live tail picks them up without a reload, highlighted.
  const rows = page.getByTestId("event-row");
  await expect(rows).toHaveCount(6, { timeout: 60_000 });
  await expect(page.locator('[data-testid="event-row"][data-fresh="true"]').first()).toBeVisible();
  await shot(page, "events-live");

  // After a reload the list itself holds them, newest first, and a row opens its detail.
  await page.reload();
  await expect(rows).toHaveCount(6, { timeout: 30_000 });
  await expect(rows.first().getByTestId("event-name")).toHaveText("page_view");
  await rows.filter({ hasText: "purchase" }).click();
  const detail = page.getByTestId("event-detail");
  await expect(detail).toBeVisible();
  await expect(detail.getByLabel("Properties", { exact: true })).toContainText('"path": "/shop"');
  await expect(detail.getByRole("link", { name: "shopper-a" })).toBeVisible();
  await shot(page, "event-detail");
  await page.keyboard.press("Escape");

  // A trend of page views and purchases.
  await page.getByRole("navigation", { name: "Project sections" }).getByRole("link", { name: "Reports" }).click();
  await expect(page.getByRole("tab", { name: "Trend" })).toHaveAttribute("aria-selected", "true");
  await page.getByLabel("Series 1 event").fill("page_view");
  await page.getByRole("button", { name: "Add series" }).click();
  await page.getByLabel("Series 2 event").fill("purchase");
  const totals = page.getByTestId("trend-series-total");
  await expect(totals).toHaveText(["3", "1"], { timeout: 30_000 });
  await shot(page, "trend");

  // Compare to: the totals name what the faint line is, for each choice; "Nothing" takes it away again.
  const compareTo = page.getByLabel("Compare to");
  const comparison = page.getByTestId("trend-series-comparison");
  await expect(compareTo).toHaveValue("none");
  await expect(comparison).toHaveCount(0);
  await compareTo.selectOption({ label: "Same period last year" });
  await expect(comparison).toHaveCount(2, { timeout: 30_000 });
  await expect(comparison.first()).toHaveText(/^same period last year \(faint dashes\): /);
  await shot(page, "trend-year");
  await compareTo.selectOption({ label: "Previous period" });
  await expect(comparison.first()).toHaveText(/^previous period \(faint dashes\): /, { timeout: 30_000 });
  await compareTo.selectOption({ label: "Nothing" });
  await expect(comparison).toHaveCount(0, { timeout: 30_000 });
  await expect(totals).toHaveText(["3", "1"]);

  // The result says how old it is, ticking; Refresh runs it again past the server's cache.
  const updated = page.getByTestId("report-updated");
  await expect(updated).toHaveText(/^Updated (just now|\d+ s ago)$/);
  await expect(updated).toHaveText(/^Updated \d+ s ago$/, { timeout: 15_000 });
  const computedBefore = await updated.getAttribute("datetime");
  const freshRun = page.waitForRequest((request) => request.url().includes("reports.trend") && decodeURIComponent(request.url()).includes('"fresh":true'));
  await page.getByRole("button", { name: "Refresh", exact: true }).click();
  await freshRun;
  await expect(updated).not.toHaveAttribute("datetime", computedBefore!);
  await expect(updated).toHaveText("Updated just now");
  await expect(totals).toHaveText(["3", "1"]);

  await page.getByRole("button", { name: "Add to dashboard" }).click();
  const saveDialog = page.getByRole("dialog", { name: "Save report" });
  await saveDialog.getByLabel("Report name").fill("Views and purchases");
  await expect(saveDialog.getByLabel("Show on the project dashboard")).toBeChecked();
  await saveDialog.getByRole("button", { name: "Save report" }).click();
  await expect(page).toHaveURL(/\?report=/);
  await expect(page.getByRole("heading", { name: "Views and purchases" })).toBeVisible();

  // Export the trend as CSV: the file's numbers are the chart's.
  const downloadPromise = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export CSV" }).click();
  const download = await downloadPromise;
  expect(download.suggestedFilename()).toMatch(/^prism-trend-.*\.csv$/);
  const csv = parseCsv(await readFile((await download.path())!, "utf8"));
  expect(csv[0]).toEqual(["series", "bucket", "value", "previous_value"]);
  const sumOf = (series: string) => csv.slice(1).reduce((sum, row) => sum + (row[0] === series ? Number(row[2] || 0) : 0), 0);
  const labels = await page.getByTestId("trend-series-label").allTextContents();
  expect(labels).toHaveLength(2);
  const shown = (await totals.allTextContents()).map(Number);
  expect([sumOf(labels[0]!), sumOf(labels[1]!)]).toEqual(shown);
  await expect(page.getByText(/Downloaded \d+ rows/)).toBeVisible();

  // A funnel: page_view → add_to_cart → purchase.
  await page.getByRole("link", { name: "New report" }).click();
  await expect(page.getByRole("heading", { name: "New report" })).toBeVisible();
  await page.getByRole("tab", { name: "Funnel" }).click();
  await page.getByLabel("Step 1 event").fill("page_view");
  await page.getByLabel("Step 2 event").fill("add_to_cart");
  await page.getByRole("button", { name: "Add step" }).click();
  await page.getByLabel("Step 3 event").fill("purchase");
  await expect(page.getByTestId("funnel-step-count")).toHaveText(["3", "2", "1"], { timeout: 30_000 });
  await expect(page.getByTestId("funnel-conversion")).toHaveText("33.3%");
  await expect(page.getByTestId("funnel-counting-note")).toContainText("Each person counts once");
  await shot(page, "funnel");
  await page.getByRole("button", { name: "Add to dashboard" }).click();
  await saveDialog.getByLabel("Report name").fill("Checkout funnel");
  await saveDialog.getByRole("button", { name: "Save report" }).click();
  await expect(page.getByRole("heading", { name: "Checkout funnel" })).toBeVisible();

  // The other kinds run on the same events: a segment by event name, retention cohorts, a grouped query.
  await page.getByRole("link", { name: "New report" }).click();
  await expect(page.getByRole("heading", { name: "New report" })).toBeVisible();
  await page.getByRole("tab", { name: "Segment" }).click();
  const segmentTable = page.getByRole("table", { name: "Segment values" });
  await expect(segmentTable.getByRole("row", { name: /page_view/ })).toContainText("3", { timeout: 30_000 });
  await expect(segmentTable.getByRole("row", { name: /add_to_cart/ })).toContainText("2");
  await shot(page, "segment");
  await page.getByRole("tab", { name: "Retention" }).click();
  // One row per day of the 7-day range, empty cohorts included; today's holds the profiles, all active on day 0.
  const cohortRows = page.getByRole("table", { name: "Retention by cohort" }).getByRole("row");
  await expect(cohortRows).toHaveCount(8, { timeout: 30_000 });
  await expect(cohortRows.nth(1).getByRole("cell").nth(1)).toHaveText("0");
  await expect(cohortRows.last().getByRole("cell").nth(2)).toHaveText("100%");
  await shot(page, "retention");
  await page.getByRole("tab", { name: "Query" }).click();
  await page.getByLabel("Group by 2").fill("profile_id");
  await expect(page.getByRole("table", { name: "Query result" }).getByRole("row")).toHaveCount(7, { timeout: 30_000 });
  await shot(page, "query");

  // Both on the dashboard, each running, under the key numbers.
  await page.getByRole("navigation", { name: "Project sections" }).getByRole("link", { name: "Dashboard" }).click();
  const cards = page.getByTestId("dashboard-card");
  await expect(cards).toHaveCount(2);
  await expect(cards.nth(0).getByRole("heading")).toHaveText("Views and purchases");
  await expect(cards.nth(1).getByRole("heading")).toHaveText("Checkout funnel");
  await expect(cards.nth(0).getByTestId("trend-series-total")).toHaveText(["3", "1"], { timeout: 30_000 });
  await expect(cards.nth(1).getByTestId("funnel-conversion")).toHaveText("33.3%");
  // Each tile says how old its answer is and refreshes on its own.
  await expect(cards.nth(0).getByTestId("report-updated")).toHaveText(/^Updated (just now|\d+ s ago)$/);
  await expect(cards.nth(1).getByTestId("report-updated")).toHaveText(/^Updated (just now|\d+ s ago)$/);
  const tileUpdated = cards.nth(1).getByTestId("report-updated");
  const tileComputedBefore = await tileUpdated.getAttribute("datetime");
  await cards.nth(1).getByRole("button", { name: "Refresh", exact: true }).click();
  await expect(tileUpdated).not.toHaveAttribute("datetime", tileComputedBefore!);
  await expect(tileUpdated).toHaveText("Updated just now");
  await expect(cards.nth(1).getByTestId("funnel-conversion")).toHaveText("33.3%");
  await expect(page.getByTestId("key-events-today")).toHaveText("6");
  await expect(page.getByTestId("key-active-profiles")).toHaveText("3");
  await shot(page, "dashboard");
  expect(hydrationErrors).toEqual([]);

  // Reordering puts the funnel first.
  await page.getByRole("button", { name: "Move Checkout funnel earlier" }).click();
  await expect(cards.nth(0).getByRole("heading")).toHaveText("Checkout funnel");

  // Profiles: the browser finds the shopper, its page shows the timeline.
  await page.getByRole("navigation", { name: "Project sections" }).getByRole("link", { name: "Profiles" }).click();
  await page.getByLabel("Id starts with").fill("shopper-");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByTestId("profile-row")).toHaveCount(3, { timeout: 30_000 });
  await page.getByRole("link", { name: "shopper-a" }).click();
  await expect(page.getByTestId("profile-id")).toHaveText("shopper-a");
  await expect(page.getByTestId("event-row")).toHaveCount(3);
  await shot(page, "profile");

  // The other pages render for this project too.
  await page.getByRole("navigation", { name: "Project sections" }).getByRole("link", { name: "Dead letters" }).click();
  await expect(page.getByText("No dead letters")).toBeVisible();
  await shot(page, "dead-letters");
  await page.getByRole("navigation", { name: "Project sections" }).getByRole("link", { name: "Overview" }).click();
  await expect(page.getByTestId("key-events-today")).toHaveText("6");
  await shot(page, "overview");

  // Dead letters: an enforcing project refuses an unplanned event; once the plan allows it, a replay is accepted.
  const strict = await trpc<{ id: string }>(page, "projects.create", { orgId: organizations[0]!.id, name: `Strict ${Date.now()}` });
  await trpc(page, "projects.updateSettings", { projectId: strict.id, settings: { planEnforcement: "enforce" } });
  await trpc(page, "trackingPlan.createEventType", { projectId: strict.id, eventType: { name: "page_view", description: "", fields: [] } });
  const strictKey = await trpc<{ secret: string }>(page, "apiKeys.create", { projectId: strict.id, name: "server" });
  const refused = await page.request.post("/api/v1/events", {
    headers: { "x-api-key": strictKey.secret },
    data: { event_name: "checkout", profile_id: "shopper-d", props: { total: 42 } },
  });
  expect(refused.status(), await refused.text()).toBeGreaterThanOrEqual(400);
  expect(refused.status()).toBeLessThan(500);

  await page.goto(`/projects/${strict.id}/dead-letters`);
  const letters = page.getByTestId("dead-letter-row");
  await expect(async () => {
    await page.reload();
    await expect(letters).toHaveCount(1, { timeout: 2_000 });
  }).toPass({ timeout: 60_000 });
  await expect(letters.first()).toContainText("Unplanned event");
  await expect(letters.first()).toContainText("checkout");
  await page.getByLabel("Reason").selectOption("required_missing");
  await expect(page.getByText("No dead letters for this reason")).toBeVisible();
  await page.getByLabel("Reason").selectOption("");
  await trpc(page, "trackingPlan.createEventType", {
    projectId: strict.id,
    eventType: { name: "checkout", description: "", fields: [{ name: "total", dataType: "number", required: false }] },
  });
  await letters.first().getByRole("checkbox").check();
  await page.getByRole("button", { name: "Replay 1" }).click();
  await expect(page.getByTestId("replay-result")).toContainText("1 accepted");
  await expect(letters.first()).toContainText("replayed");
  await shot(page, "dead-letters-replayed");
});

test("a paths report on the demo data: a Sankey on a wide screen, the list of paths on a phone", async ({ page }) => {
  test.setTimeout(300_000);
  await page.setViewportSize({ width: 1440, height: 900 });
  await signIn(page, DEMO.email, DEMO.password);
  const projects = await trpc<Array<{ id: string; name: string }>>(page, "projects.list", undefined, "query");
  const demo = projects.find((candidate) => candidate.name === "Demo Shop");
  expect(demo, "the seeded demo project").toBeDefined();
  // The sample data goes through ingest at start-up, oldest first: wait until the reports have its
  // last week. (Not "events today": just after midnight the demo may have none yet.)
  await expect(async () => {
    const numbers = await trpc<{ activeProfiles7d: number }>(page, "reports.keyNumbers", { projectId: demo!.id }, "query");
    expect(numbers.activeProfiles7d).toBeGreaterThan(0);
  }).toPass({ timeout: 180_000, intervals: [2_000] });

  await page.goto(`/projects/${demo!.id}/reports?kind=paths`);
  await expect(page.getByRole("tab", { name: "Paths" })).toHaveAttribute("aria-selected", "true");
  await page.getByRole("group", { name: "Date range" }).getByRole("button", { name: "30 days" }).click();
  await page.getByLabel("Steps").selectOption("4");
  // What the page asks for, asked again directly: the page must show that answer.
  type PathsInput = { projectId: string; definition: { event: string } };
  const asked = page.waitForRequest((request) => request.url().includes("reports.paths") && decodeURIComponent(request.url()).includes('"event":"login"'));
  await page.getByLabel("Paths event").fill("login");
  const batch = JSON.parse(new URL((await asked).url()).searchParams.get("input")!) as Record<string, { json: PathsInput }>;
  const input = Object.values(batch).find((entry) => entry.json.definition?.event === "login")!.json;
  const answer = await trpc<{ persons: number; paths: Array<{ steps: string[]; count: number }>; other: number }>(page, "reports.paths", input, "query");
  expect(answer.persons).toBeGreaterThan(50);

  await expect(page.getByTestId("paths-persons")).toHaveText(answer.persons.toLocaleString("en-US"), { timeout: 30_000 });
  const rows = page.getByTestId("path-row");
  await expect(rows).toHaveCount(answer.paths.length);
  // Each person counts once: the top paths and "other" add up to the people.
  expect(answer.paths.reduce((sum, path) => sum + path.count, 0) + answer.other).toBe(answer.persons);
  // Every path starts at login, has at most 4 more steps, and never repeats a step in a row (the page views after a login are one step).
  for (const path of answer.paths) {
    expect(path.steps[0]).toBe("login");
    expect(path.steps.length).toBeLessThanOrEqual(5);
    path.steps.slice(1).forEach((step, index) => expect(step).not.toBe(path.steps[index]));
  }
  expect(answer.paths.some((path) => path.steps.join(" ") === "login page_view add_to_cart")).toBe(true);
  await expect(rows.first()).toContainText(answer.paths[0]!.count.toLocaleString("en-US"));
  const sankey = page.getByTestId("paths-sankey");
  await expect(sankey).toBeVisible();
  await expect(sankey.locator("text").filter({ hasText: "add_to_cart" }).first()).toBeVisible();
  await expect(page.getByTestId("paths-counting-note")).toContainText("Each person counts once");
  await shot(page, "paths-1440");

  // Before a purchase: every path ends with it.
  await page.getByLabel("Direction").selectOption("before");
  await page.getByLabel("Paths event").fill("purchase");
  await expect(page.getByText("what led up to it")).toBeVisible({ timeout: 30_000 });
  await expect(rows.first()).toContainText("purchase");
  for (const text of await rows.allTextContents()) expect(text).toMatch(/purchase\s*[\d,]+/);
  await expect(sankey.locator("text").filter({ hasText: "checkout_started" }).first()).toBeVisible();
  await shot(page, "paths-before-1440");

  // On a phone the Sankey would be unreadable: the list says it.
  await page.setViewportSize({ width: 390, height: 844 });
  await expect(sankey).toHaveCount(0);
  await expect(rows.first()).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, "the paths report fits a phone").toBeLessThanOrEqual(0);
  await shot(page, "paths-390");
});
