/** A project's settings and tracking-plan attribute forms: the browser's checks speak in the fields' words, and a valid save sticks. */
import { expect, test } from "@playwright/test";
import { trpc } from "./helpers";

test("the settings form names what is wrong, saves what is right, and a new array attribute keeps its items type", async ({ page }) => {
  const stamp = Date.now();
  await page.goto("/signup");
  await page.getByLabel("Name").fill("Sam Settings");
  await page.getByLabel("Email").fill(`settings-${stamp}@example.com`);
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/projects/);
  const [organization] = await trpc<Array<{ id: string }>>(page, "organizations.list", null, "query");
  await page.goto(`/orgs/${organization!.id}`);
  await page.getByRole("button", { name: "New project" }).click();
  await page.getByLabel("Project name").fill(`Settings ${stamp}`);
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page).toHaveURL(/\/projects\/proj_/);
  const projectUrl = new URL(page.url()).pathname.match(/\/projects\/proj_[0-9a-z]+/)![0];

  await page.goto(`${projectUrl}/settings`);
  const retention = page.getByLabel("Data retention (days)");
  const allowed = page.getByLabel("Allowed event names");
  await retention.fill("0");
  await allowed.fill("signup, 1bad");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByText("Data retention (days) must be at least 1")).toBeVisible();
  await expect(page.getByText("Allowed event names entry “1bad” may use letters")).toBeVisible();
  await expect(retention).toHaveAttribute("aria-invalid", "true");

  await retention.fill("45");
  await allowed.fill("signup,\norder.completed");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Settings saved." })).toBeVisible();
  await expect(page.getByText("must be at least 1")).toHaveCount(0);
  await page.reload();
  await expect(retention).toHaveValue("45");
  await expect(allowed).toHaveValue("signup, order.completed");

  await page.goto(`${projectUrl}/tracking-plan`);
  const form = page.getByRole("form", { name: "New attribute" });
  await expect(form.getByLabel("Items type")).toBeDisabled();
  await form.getByLabel("Attribute name").fill("tags");
  await form.getByLabel("Attribute type").selectOption("array");
  await form.getByLabel("Items type").selectOption("number");
  await form.getByRole("button", { name: "Add attribute" }).click();
  await expect(form.getByLabel("Attribute name")).toHaveValue("");
  await expect(form.getByLabel("Items type")).toBeDisabled();
  const plan = await trpc<{ attributes: Array<{ name: string; type: string; itemsType: string | null }> }>(
    page,
    "trackingPlan.get",
    { projectId: projectUrl.slice("/projects/".length) },
    "query",
  );
  expect(plan.attributes.find((attribute) => attribute.name === "tags")).toMatchObject({ type: "array", itemsType: "number" });
});
