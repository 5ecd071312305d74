/**
 * A tour of every page of the demo as a newcomer meets it after `npm start`, on a desktop and on a
 * phone: no console errors, nothing wider than a phone screen, the main nav reachable at 390 px, and
 * the demo telling a believable story (a full dashboard, a tracking plan, a quiet bell).
 * Screenshots of every page land in .cache/tour/ (ignored by git; TOUR_SCREENSHOTS to change) for a human to look at.
 */
import { mkdir } from "node:fs/promises";
import { expect, test, type Page } from "@playwright/test";
import { DEMO, signIn, trpc } from "./helpers";

// Not under test-results/: Playwright empties that folder at the start of every run, including other people's.
const SHOTS = process.env.TOUR_SCREENSHOTS ?? ".cache/tour";
const VIEWPORTS = [
  { name: "desktop", width: 1440, height: 900 },
  { name: "phone", width: 390, height: 844 },
] as const;

interface Project {
  id: string;
  name: string;
  organization: { id: string; name: string };
}

/** Console errors and uncaught exceptions of the page, collected from now on. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  return errors;
}

/** Waits until nothing on the page is still loading: no skeletons, no "Loading…" text. */
async function settled(page: Page) {
  await page.waitForLoadState("networkidle");
  await expect(page.locator('[role="status"][aria-label="Loading report"], .animate-pulse')).toHaveCount(0, { timeout: 30_000 });
}

/** How far the page scrolls sideways, and the innermost elements sticking out (to say what to fix). */
async function sidewaysOverflow(page: Page): Promise<{ scrollWidth: number; innerWidth: number; culprits: string[] }> {
  return page.evaluate(() => {
    const innerWidth = window.innerWidth;
    const culprits: string[] = [];
    for (const element of Array.from(document.querySelectorAll("body *"))) {
      if (element.getBoundingClientRect().right <= innerWidth + 1) continue;
      // Only the innermost: an element none of whose children sticks out as well.
      if (Array.from(element.children).some((child) => child.getBoundingClientRect().right > innerWidth + 1)) continue;
      // Content inside a scrolling box does not widen the page.
      let scroller: Element | null = element.parentElement;
      while (scroller && !["auto", "scroll", "hidden"].includes(getComputedStyle(scroller).overflowX)) scroller = scroller.parentElement;
      if (scroller && scroller !== document.body && scroller !== document.documentElement) continue;
      culprits.push(
        `${element.tagName.toLowerCase()}.${String(element.getAttribute("class") ?? "").slice(0, 80)} "${(element.textContent ?? "").slice(0, 40)}"`,
      );
    }
    return { scrollWidth: document.scrollingElement!.scrollWidth, innerWidth, culprits: culprits.slice(0, 5) };
  });
}

async function noSidewaysScroll(page: Page, what: string) {
  const { scrollWidth, innerWidth, culprits } = await sidewaysOverflow(page);
  expect(scrollWidth, `${what} is wider than the screen: ${culprits.join("; ")}`).toBeLessThanOrEqual(innerWidth);
}

async function demoProject(page: Page): Promise<Project> {
  const projects = await trpc<Project[]>(page, "projects.list", undefined, "query");
  const project = projects.find((candidate) => candidate.name === "Demo Shop");
  expect(project, "the seeded demo project").toBeDefined();
  return project!;
}

for (const viewport of VIEWPORTS) {
  test.describe(`on a ${viewport.name} (${viewport.width} px)`, () => {
    test.use({ viewport: { width: viewport.width, height: viewport.height } });

    test("every page of the demo renders without errors and fits the screen", async ({ page }) => {
      test.setTimeout(300_000);
      await mkdir(SHOTS, { recursive: true });
      const errors = watchErrors(page);
      await signIn(page, DEMO.email, DEMO.password);
      const project = await demoProject(page);
      const base = `/projects/${project.id}`;

      // The sample data goes through ingest at start-up, oldest first: wait until the dashboard has
      // its last week. (Not "events today": just after midnight the demo may have none yet.)
      await expect(async () => {
        const numbers = await trpc<{ activeProfiles7d: number }>(page, "reports.keyNumbers", { projectId: project.id }, "query");
        expect(numbers.activeProfiles7d).toBeGreaterThan(0);
      }).toPass({ timeout: 180_000, intervals: [2_000] });

      const profiles = await trpc<{ items: Array<{ profileId: string }> }>(page, "profiles.search", { projectId: project.id, limit: 1 }, "query");
      const pages: Array<[name: string, path: string]> = [
        ["projects", "/projects"],
        ["organisations", "/orgs"],
        ["organisation", `/orgs/${project.organization.id}`],
        ["overview", base],
        ["dashboard", `${base}/dashboard`],
        ["reports", `${base}/reports`],
        ["events", `${base}/events`],
        ["profiles", `${base}/profiles`],
        ["profile", `${base}/profiles/${encodeURIComponent(profiles.items[0]!.profileId)}`],
        ["keys", `${base}/keys`],
        ["tracking-plan", `${base}/tracking-plan`],
        ["dead-letters", `${base}/dead-letters`],
        ["triggers", `${base}/triggers`],
        ["webhooks", `${base}/webhooks`],
        ["settings", `${base}/settings`],
      ];
      // Every page is visited before judging, so one run names every page that needs a fix.
      const problems: string[] = [];
      for (const [name, path] of pages) {
        await page.goto(path);
        await expect(page.locator("h1").first()).toBeVisible();
        await settled(page);
        await page.screenshot({ path: `${SHOTS}/${viewport.name}-${name}.png`, fullPage: true });
        if (viewport.name === "phone") {
          const overflow = await sidewaysOverflow(page);
          if (overflow.scrollWidth > overflow.innerWidth) problems.push(`${name}: ${overflow.scrollWidth} px wide: ${overflow.culprits.join("; ")}`);
        }
        problems.push(...errors.splice(0).map((error) => `${name}: ${error}`));
      }
      expect(problems).toEqual([]);
    });

    test("the demo tells a believable story: a full dashboard, a tracking plan, triggers by event time, a quiet bell", async ({ page }) => {
      test.setTimeout(240_000);
      const errors = watchErrors(page);
      await signIn(page, DEMO.email, DEMO.password);
      const project = await demoProject(page);
      const base = `/projects/${project.id}`;

      await page.goto(`${base}/dashboard`);
      const cards = page.getByTestId("dashboard-card");
      await expect(cards).toHaveCount(5);
      // Every pinned report shows a result, none the "no events" message.
      await expect(page.getByTestId("report-result")).toHaveCount(5, { timeout: 60_000 });
      const eventsToday = Number((await page.getByTestId("key-events-today").textContent())!.replace(/\D/g, ""));
      const firedToday = Number((await page.getByTestId("key-triggers-fired").textContent())!.replace(/\D/g, ""));
      // Three rules, each at most once per event: firings of today's events cannot exceed three per event.
      expect(firedToday).toBeLessThanOrEqual(eventsToday * 3);
      // Backfilled sample events notify nobody: no wall of unread notifications on first start.
      const bell = page.getByRole("button", { name: /^Notifications, \d+ unread$/ });
      const unread = Number((await bell.getAttribute("aria-label"))!.match(/(\d+) unread/)![1]);
      expect(unread).toBeLessThan(10);

      // The breadcrumb names the organisation, the project and the section.
      const breadcrumb = page.getByRole("navigation", { name: "Breadcrumb" });
      await expect(breadcrumb.getByRole("listitem")).toHaveText([project.organization.name, project.name, "Dashboard"]);

      await page.goto(`${base}/tracking-plan`);
      for (const name of ["page_view", "sign_up", "login", "add_to_cart", "checkout_started", "purchase"]) {
        await expect(page.getByText(name, { exact: true }).first()).toBeVisible();
      }

      // Firings are collapsed to today's count; opened, each shows its event's time.
      await page.goto(`${base}/triggers`);
      const card = page.getByRole("region", { name: "Big purchase", exact: true });
      const toggle = card.getByRole("button", { name: /firings? today/ });
      await expect(toggle).toHaveAttribute("aria-expanded", "false");
      await expect(card.getByTestId("firing-row")).toHaveCount(0);
      await toggle.click();
      await expect(card.getByTestId("firing-row").first()).toBeVisible({ timeout: 30_000 });

      // Events show the device type and the OS apart, and props as key: value.
      await page.goto(`${base}/events`);
      const row = page.getByTestId("event-row").first();
      await expect(row.getByTestId("event-device")).toHaveText(/^(desktop|mobile|tablet)$/i);
      await expect(row.getByTestId("event-os")).toContainText(/macOS|Windows|iOS|Android/);
      await expect(row).not.toContainText("{");

      // The only owner is told why they cannot leave instead of being offered a button that fails.
      await page.goto(`/orgs/${project.organization.id}`);
      await expect(page.getByTestId("only-owner")).toBeVisible();
      await expect(page.getByRole("button", { name: "Leave", exact: true })).toHaveCount(0);
      expect(errors).toEqual([]);
    });
  });
}

test.describe("on a phone", () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test("the menu reaches Projects and Organisations, and shows the only organisation by name", async ({ page }) => {
    await signIn(page, DEMO.email, DEMO.password);
    const project = await demoProject(page);
    await page.goto(`/projects/${project.id}/dashboard`);
    await expect(page.getByRole("navigation", { name: "Main" })).toBeHidden();

    await page.getByRole("button", { name: "Open menu" }).click();
    const switcher = page.locator("#org-switcher-mobile");
    await expect(switcher).toBeVisible();
    await expect(switcher.locator("option:checked")).toHaveAttribute("label", new RegExp(`^${project.organization.name}`));
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Organisations" }).click();
    await expect(page).toHaveURL(/\/orgs$/);
    await expect(page.getByRole("button", { name: "Open menu" })).toBeVisible();

    await page.getByRole("button", { name: "Open menu" }).click();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Projects" }).click();
    await expect(page).toHaveURL(/\/projects$/);
    await noSidewaysScroll(page, "projects");

    // The notifications panel opens inside the screen.
    await page.goto(`/projects/${project.id}/dashboard`);
    await page.getByRole("button", { name: /^Notifications, \d+ unread$/ }).click();
    const panel = page.getByRole("region", { name: "Notifications", exact: true });
    const box = (await panel.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(390);
  });
});
