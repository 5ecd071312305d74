import { expect, test, type Locator, type Page } from "@playwright/test";
import { DEMO, signIn, trpc } from "./helpers";

/** The worker's own ingest endpoint (the same edge handler as the app's /api/v1 routes). */
const WORKER_URL = `http://127.0.0.1:${process.env.E2E_WORKER_PORT ?? 4210}`;
const RULE = "event.name == 'purchase' && profile.in_cohort('vip')";

/** Set E2E_SCREENSHOTS=dir to keep a full-page picture of the editor. */
async function shot(page: Page, name: string) {
  const dir = process.env.E2E_SCREENSHOTS;
  if (dir) await page.screenshot({ path: `${dir}/cohort-rules-${name}.png`, fullPage: true });
}

async function typeRule(page: Page, editor: Locator, text: string, { keepCompletion = false } = {}) {
  await editor.click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.press("Backspace");
  await page.keyboard.type(text);
  if (!keepCompletion) await page.keyboard.press("Escape");
}

test("a rule reading a cohort: completion, an unknown key named, the tester by profile id, and firings only for members", async ({ page }) => {
  test.setTimeout(240_000);
  await signIn(page, DEMO.email, DEMO.password);
  const organizations = await trpc<Array<{ id: string }>>(page, "organizations.list", null, "query");
  const project = await trpc<{ id: string }>(page, "projects.create", { orgId: organizations[0]!.id, name: `Cohort rules ${Date.now()}` });
  const key = await trpc<{ secret: string }>(page, "apiKeys.create", { projectId: project.id, name: "server" });
  const cohort = await trpc<{ id: string }>(page, "cohorts.create", { projectId: project.id, cohort: { key: "vip", name: "VIPs", kind: "static" } });
  await trpc(page, "cohorts.setStaticMembers", { projectId: project.id, cohortId: cohort.id, ids: ["vip-1"] });
  const base = `/projects/${project.id}`;

  await page.goto(`${base}/triggers`);
  await page.getByRole("button", { name: "New trigger" }).click();
  const form = page.getByRole("form", { name: "New trigger" });
  await form.getByLabel("Trigger name").fill("VIP purchase");
  const editor = form.getByTestId("rule-editor").locator(".cm-content");

  // Completion offers in_cohort after `profile.` and the project's cohort keys inside it.
  await typeRule(page, editor, "profile.in", { keepCompletion: true });
  const completions = page.locator(".cm-tooltip-autocomplete");
  await expect(completions.getByRole("option", { name: /^in_cohort/ })).toBeVisible();
  await typeRule(page, editor, "profile.in_cohort('v", { keepCompletion: true });
  await expect(completions.getByRole("option", { name: /^vip/ })).toBeVisible();
  await shot(page, "completion");
  await page.keyboard.press("Escape");

  // An unknown key is named, with the close one suggested.
  await typeRule(page, editor, "profile.in_cohort('vips')");
  await expect(form.getByText("Error: unknown cohort 'vips'; did you mean 'vip'?")).toBeVisible();
  await expect(form.locator(".cm-lintRange-error")).toBeVisible();

  await typeRule(page, editor, RULE);
  await expect(editor).toHaveText(RULE);
  await expect(form.getByText("Rule checks.")).toBeVisible();
  await expect(form.getByText(/Cohorts read: 'vip'/)).toBeVisible();

  // The tester reads the membership of the profile id given: a member fires, the sample profile does not.
  await form.getByLabel("Event name").fill("purchase");
  await form.getByRole("button", { name: "Run test" }).click();
  await expect(form.getByText("does not fire", { exact: false })).toBeVisible();
  await form.getByLabel("Profile id").fill("vip-1");
  await form.getByRole("button", { name: "Run test" }).click();
  await expect(form.getByText("fires", { exact: true })).toBeVisible();
  await shot(page, "tester");

  await form.getByRole("button", { name: "Save trigger" }).click();
  const card = page.getByRole("region", { name: "VIP purchase", exact: true });
  await expect(card).toBeVisible();

  // Purchases by a member and a stranger: rules reload within seconds, so keep sending until the member's fires.
  const send = async (profileId: string) => {
    const response = await page.request.post(`${WORKER_URL}/api/v1/events`, {
      headers: { "x-api-key": key.secret },
      data: { event_name: "purchase", profile_id: profileId, props: {} },
    });
    expect(response.status(), await response.text()).toBeLessThan(300);
  };
  await card.getByRole("button", { name: /firings today/ }).click();
  const log = card.getByRole("table", { name: "Recent firings of VIP purchase" });
  await expect(async () => {
    await send("stranger-1");
    await send("vip-1");
    await expect(log.getByRole("link", { name: "vip-1" }).first()).toBeVisible({ timeout: 10_000 });
  }).toPass({ timeout: 120_000, intervals: [1_000] });
  await expect(log).not.toContainText("stranger-1");
  await shot(page, "firings");
});
