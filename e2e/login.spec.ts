import { expect, test } from "@playwright/test";
import { DEMO, signIn } from "./helpers";

test("the demo login opens the demo project", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);
  await signIn(page, DEMO.email, DEMO.password);
  await expect(page.getByTestId("current-user")).toHaveText(DEMO.email);
  await expect(page.getByRole("heading", { name: "Projects" })).toBeVisible();
  await expect(page.getByText("Demo Shop").first()).toBeVisible();
});

test("a wrong password is refused with a clear message", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill(DEMO.email);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Wrong email or password." })).toBeVisible();
  await expect(page).toHaveURL(/\/login/);
});

test("repeated wrong passwords pause sign-in with a clear message", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("Email").fill("paused-e2e@example.com");
  const signIn = page.getByRole("button", { name: "Sign in" });
  const paused = page.getByRole("alert").filter({ hasText: "Too many sign-in attempts" });
  let attempts = 0;
  // Five wrong passwords pass; the limit then answers 429 (a slow bcrypt may let one more through).
  while (attempts < 8 && !(await paused.isVisible())) {
    await page.getByLabel("Password").fill(`wrong password ${attempts}`);
    await signIn.click();
    await expect(signIn).toBeEnabled();
    attempts++;
    if (attempts <= 5) await expect(page.getByRole("alert").filter({ hasText: "Wrong email or password." })).toBeVisible();
  }
  await expect(paused).toBeVisible();
  expect(attempts).toBeGreaterThanOrEqual(6);
  await expect(page).toHaveURL(/\/login/);
});

test("signed-out visitors are sent to the login page", async ({ page }) => {
  await page.goto("/projects");
  await expect(page).toHaveURL(/\/login/);
});
