/** The demo's event and profile browsers: their filter forms apply what is typed, and say what is wrong. */
import { expect, test, type Page } from "@playwright/test";
import { DEMO, signIn, trpc } from "./helpers";

async function demoProjectId(page: Page): Promise<string> {
  const projects = await trpc<Array<{ id: string; name: string }>>(page, "projects.list", undefined, "query");
  const project = projects.find((candidate) => candidate.name === "Demo Shop");
  expect(project, "the seeded demo project").toBeDefined();
  return project!.id;
}

test("the events filter shows only the named events, and a profile's", async ({ page }) => {
  await signIn(page, DEMO.email, DEMO.password);
  await page.goto(`/projects/${await demoProjectId(page)}/events`);
  const filters = page.getByRole("form", { name: "Event filters" });
  const names = page.getByTestId("event-name");
  await expect(names.first()).toBeVisible();

  await filters.getByLabel("Event names").fill("purchase");
  await filters.getByRole("button", { name: "Apply" }).click();
  await expect(names.first()).toHaveText("purchase");
  expect(new Set(await names.allTextContents())).toEqual(new Set(["purchase"]));

  await filters.getByLabel("Event names").fill("");
  await filters.getByLabel("Profile id").fill("user-0001");
  await filters.getByLabel("When").selectOption("90d");
  await filters.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByRole("link", { name: "user-0002" })).toHaveCount(0);
  await expect(page.getByTestId("event-row").first()).toBeVisible();
});

test("the profile search refuses a malformed property name and finds profiles by id prefix", async ({ page }) => {
  await signIn(page, DEMO.email, DEMO.password);
  await page.goto(`/projects/${await demoProjectId(page)}/profiles`);
  const search = page.getByRole("form", { name: "Profile search" });
  const rows = page.getByTestId("profile-row");
  await expect(rows.first()).toBeVisible();

  await search.getByLabel("Property").fill("1plan");
  await search.getByLabel("equals").fill("pro");
  await search.getByRole("button", { name: "Search" }).click();
  const refusal = page.getByRole("alert").filter({ hasText: "A property name uses letters, digits" });
  await expect(refusal).toBeVisible();

  await search.getByLabel("Property").fill("");
  await search.getByLabel("equals").fill("");
  await search.getByLabel("Id starts with").fill("user-000");
  await search.getByRole("button", { name: "Search" }).click();
  await expect(refusal).toHaveCount(0);
  await expect(rows).toHaveCount(9);
  for (const id of await rows.getByRole("link").allTextContents()) expect(id).toMatch(/^user-000[1-9]$/);
});
