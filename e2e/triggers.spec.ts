import { expect, test, type Locator, type Page } from "@playwright/test";
import { DEMO, signIn, trpc } from "./helpers";

/** The worker's own ingest endpoint (the same edge handler as the app's /api/v1 routes). */
const WORKER_URL = `http://127.0.0.1:${process.env.E2E_WORKER_PORT ?? 4210}`;
/** Full-page pictures go here, to be looked at by a person. */
const SHOTS = process.env.E2E_SCREENSHOTS ?? "/tmp";

async function shot(page: Page, name: string) {
  // From the top, so the sticky header is drawn where it belongs in a full-page picture.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${SHOTS}/shot-triggers-${name}.png`, fullPage: true });
}

const RULE = "event.name == 'purchase' && event.props.amount > 100 && window.count('purchase', '5m') >= 1";

/** Replaces the editor's text by typing, as a person would (completion and bracket closing stay on). */
async function typeRule(page: Page, editor: Locator, text: string, { keepCompletion = false } = {}) {
  await editor.click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.press("Backspace");
  await page.keyboard.type(text);
  // Close any completion popup without accepting it.
  if (!keepCompletion) await page.keyboard.press("Escape");
}

test("a trigger typed in the rule editor fires on ingested events: notification in the bell, firing in the log", async ({ page }) => {
  test.setTimeout(240_000);
  const stamp = Date.now();
  await signIn(page, DEMO.email, DEMO.password);
  const organizations = await trpc<Array<{ id: string }>>(page, "organizations.list", null, "query");
  const project = await trpc<{ id: string }>(page, "projects.create", { orgId: organizations[0]!.id, name: `Triggers ${stamp}` });
  const key = await trpc<{ secret: string }>(page, "apiKeys.create", { projectId: project.id, name: "server" });
  await trpc(page, "trackingPlan.createEventType", {
    projectId: project.id,
    eventType: { name: "purchase", description: "", fields: [{ name: "amount", dataType: "number", required: true }] },
  });
  await trpc(page, "trackingPlan.createAttribute", {
    projectId: project.id,
    attribute: { entity: "event", name: "amount", type: "number", itemsType: null, indexed: false },
  });
  const base = `/projects/${project.id}`;

  // A webhook endpoint through the UI: a loopback URL is refused with a reason, a public one is saved.
  await page.goto(`${base}/webhooks`);
  await page.getByLabel("URL").fill("http://127.0.0.1:9/hook");
  await page.getByRole("button", { name: "Add endpoint" }).click();
  await expect(page.getByText(/127\.0\.0\.1, a loopback address/)).toBeVisible();
  await shot(page, "webhooks-refused");
  await page.getByLabel("URL").fill("https://hooks.example.com/prism");
  await page.getByLabel("Description").fill("CRM sync");
  await page.getByRole("button", { name: "Add endpoint" }).click();
  await expect(page.getByTestId("webhook-secret")).toContainText("whsec_");
  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByRole("table", { name: "Webhook endpoints" })).toContainText("https://hooks.example.com/prism");
  await shot(page, "webhooks");

  // A new trigger, its rule typed into the CodeMirror editor.
  await page.goto(`${base}/triggers`);
  await expect(page.getByText("No triggers yet")).toBeVisible();
  await page.getByRole("button", { name: "New trigger" }).click();
  const form = page.getByRole("form", { name: "New trigger" });
  await form.getByLabel("Trigger name").fill("Big purchase");
  const editor = form.getByTestId("rule-editor").locator(".cm-content");

  // Completion offers the window functions after `window.` and the project's attributes after `event.props.`.
  await editor.click();
  await page.keyboard.type("window.");
  const completions = page.locator(".cm-tooltip-autocomplete");
  await expect(completions).toBeVisible();
  await expect(completions.getByRole("option", { name: /^count/ })).toBeVisible();
  await typeRule(page, editor, "event.props.am", { keepCompletion: true });
  await expect(completions.getByRole("option", { name: /^amount/ })).toBeVisible();
  await shot(page, "editor-completion");
  await page.keyboard.press("Escape");

  // An unknown attribute is marked inline and named under the editor.
  await typeRule(page, editor, "event.props.amout > 100");
  await expect(form.locator(".cm-lintRange-error")).toBeVisible();
  await expect(form.getByText("Error: unknown event attribute 'amout'; did you mean 'amount'?")).toBeVisible();
  await expect(editor).toHaveAttribute("aria-invalid", "true");

  await typeRule(page, editor, RULE);
  await expect(editor).toHaveText(RULE);
  await expect(form.getByText("Rule checks.")).toBeVisible();
  await expect(form.locator(".cm-lintRange-error")).toHaveCount(0);

  // Actions: an in-app notification and the webhook.
  await form.getByLabel("Action type").selectOption("notification");
  await form.getByRole("button", { name: "Add action" }).click();
  await form.getByLabel("Action 1 Title").fill("Big purchase");
  await form.getByLabel("Action 1 Body").fill("Someone spent more than 100.");
  await form.getByLabel("Action type").selectOption("webhook");
  await form.getByRole("button", { name: "Add action" }).click();
  await form.getByLabel("Action 2 Endpoint").selectOption({ label: "https://hooks.example.com/prism — CRM sync" });

  // The test panel: the default sample purchase fires and lists both actions.
  await form.getByRole("button", { name: "Run test" }).click();
  await expect(form.getByText("fires", { exact: true })).toBeVisible();
  const wouldRun = form.getByRole("list", { name: "Actions that would run" });
  await expect(wouldRun).toContainText("Notify “Big purchase”");
  await expect(wouldRun).toContainText("POST https://hooks.example.com/prism");
  await shot(page, "test-panel");

  await form.getByRole("button", { name: "Save trigger" }).click();
  const card = page.getByRole("region", { name: "Big purchase", exact: true });
  await expect(card).toBeVisible();
  const actions = card.getByRole("list", { name: "Actions of Big purchase" });
  await expect(actions).toContainText("Notify “Big purchase”");
  await expect(actions).toContainText("POST https://hooks.example.com/prism");
  // The firing log starts collapsed to today's count; opened, it is empty.
  const firingsToggle = card.getByRole("button", { name: /firings today/ });
  await expect(firingsToggle).toHaveAttribute("aria-expanded", "false");
  await expect(card.getByTestId("firings-today")).toHaveText("0 firings today");
  await firingsToggle.click();
  await expect(card.getByText("No firings yet.")).toBeVisible();
  await shot(page, "triggers");

  // Events through the worker's ingest. Rules reload within seconds, so keep sending until one fires.
  const bell = page.getByRole("button", { name: /^Notifications, \d+ unread$/ });
  await expect(bell).toHaveAccessibleName("Notifications, 0 unread");
  let sent = 0;
  await expect(async () => {
    const response = await page.request.post(`${WORKER_URL}/api/v1/events`, {
      headers: { "x-api-key": key.secret },
      data: { event_name: "purchase", profile_id: "buyer-1", props: { amount: 250 } },
    });
    expect(response.status(), await response.text()).toBeLessThan(300);
    sent++;
    // The bell polls by itself: no reload here.
    await expect(bell).not.toHaveAccessibleName("Notifications, 0 unread", { timeout: 12_000 });
  }).toPass({ timeout: 120_000, intervals: [1_000] });
  expect(sent).toBeGreaterThan(0);

  // A purchase under the threshold does not fire.
  const small = await page.request.post(`${WORKER_URL}/api/v1/events`, {
    headers: { "x-api-key": key.secret },
    data: { event_name: "purchase", profile_id: "buyer-2", props: { amount: 5 } },
  });
  expect(small.status()).toBeLessThan(300);

  await bell.click();
  const panel = page.getByRole("region", { name: "Notifications", exact: true });
  const notification = panel.getByTestId("notification").first();
  await expect(notification).toContainText("Big purchase");
  await expect(notification).toContainText("Someone spent more than 100.");
  await shot(page, "bell");
  const unreadBefore = Number((await bell.getAttribute("aria-label"))!.match(/(\d+) unread/)![1]);
  await notification.getByRole("button", { name: "Mark “Big purchase” as read" }).click();
  await expect(bell).toHaveAccessibleName(`Notifications, ${unreadBefore - 1} unread`);
  if (unreadBefore > 1) {
    await panel.getByRole("button", { name: "Mark all as read" }).click();
    await expect(bell).toHaveAccessibleName("Notifications, 0 unread");
  }
  await page.keyboard.press("Escape");

  // The firing log shows the event, the profile and each action's outcome (it polls too).
  const log = card.getByRole("table", { name: "Recent firings of Big purchase" });
  await expect(log).toBeVisible({ timeout: 30_000 });
  const row = log.getByTestId("firing-row").first();
  await expect(row).toContainText("purchase");
  await expect(row.getByRole("link", { name: "buyer-1" })).toBeVisible();
  await expect(row).toContainText("fired");
  await expect(row).toContainText(/In-app notification\s*succeeded/, { timeout: 30_000 });
  await expect(row).toContainText("Webhook");
  await expect(log).not.toContainText("buyer-2");
  await expect(card.getByTestId("firings-today")).toHaveText(/^[1-9]\d* firings? today$/, { timeout: 30_000 });
  await shot(page, "firing-log");

  // The backtest in the rule editor runs the rule over the stored events: it fired for buyer-1, never for buyer-2.
  await card.getByRole("button", { name: "Edit Big purchase" }).click();
  const backtest = page.getByRole("form", { name: "Edit trigger Big purchase" }).getByRole("region", { name: "Backtest" });
  await backtest.getByLabel("Over the last").selectOption("1");
  const topProfiles = backtest.getByRole("list", { name: "Profiles the rule fired for most" });
  // The sink stores events a few seconds after the processor fired on them.
  await expect(async () => {
    await backtest.getByRole("button", { name: "Run backtest" }).click();
    await expect(topProfiles).toContainText("buyer-1", { timeout: 5_000 });
  }).toPass({ timeout: 60_000, intervals: [1_000] });
  await expect(backtest).toContainText(/Would have fired \d+ times? for 1 profile over \d+ events of the last day/);
  await expect(topProfiles).not.toContainText("buyer-2");
  await expect(topProfiles.getByRole("link", { name: "buyer-1" })).toHaveAttribute("href", `${base}/profiles/buyer-1`);
  await backtest.getByText(/^First (firing|\d+ firings)$/).click();
  await expect(backtest.getByRole("list", { name: "First firings" }).getByRole("listitem").first()).toContainText(/purchase\s*buyer-1/);
  await shot(page, "backtest");
  await page.getByRole("button", { name: "Cancel" }).click();

  // The webhook action queued a delivery to the endpoint (whether it arrives depends on this machine's network).
  await page.goto(`${base}/webhooks`);
  await page.getByRole("button", { name: "Deliveries of https://hooks.example.com/prism" }).click();
  await expect(page.getByRole("table", { name: "Webhook deliveries" })).toBeVisible({ timeout: 30_000 });
  await shot(page, "webhook-deliveries");
});
