import { expect, test, type Page } from "@playwright/test";
import { signIn } from "./helpers";

async function noSidewaysScroll(page: Page) {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  expect(scrollWidth, "the account page is wider than the phone").toBeLessThanOrEqual(innerWidth);
}

test("changing the password keeps this browser signed in and sends the others to the login page", async ({ browser }) => {
  const stamp = Date.now();
  const user = { name: "Paula Password", email: `change-password-${stamp}@example.com`, password: "the first long password" };
  const newPassword = "the second long password";

  // The laptop signs up; the phone signs in to the same account.
  const laptop = await browser.newContext();
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await laptop.newPage();
  await page.goto("/signup");
  await page.getByLabel("Name").fill(user.name);
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/projects/);
  const phonePage = await phone.newPage();
  await signIn(phonePage, user.email, user.password);

  // On the phone, the account page is in the menu and fits the screen.
  await phonePage.getByRole("button", { name: "Open menu" }).click();
  await phonePage.getByRole("link", { name: /^Account/ }).click();
  await expect(phonePage).toHaveURL(/\/account$/);
  await expect(phonePage.getByRole("heading", { name: "Change password" })).toBeVisible();
  await noSidewaysScroll(phonePage);

  // On the laptop, through the header.
  await page.getByRole("link", { name: `Account ${user.email}` }).click();
  await expect(page).toHaveURL(/\/account$/);
  const form = page.getByRole("form", { name: "Change password" });
  const current = form.getByLabel("Current password");
  const fresh = form.getByLabel("New password", { exact: true });
  const confirm = form.getByLabel("Confirm new password");
  const submit = form.getByRole("button", { name: "Change password" });

  await current.fill(user.password);
  await fresh.fill("too short");
  await confirm.fill("too short");
  await submit.click();
  await expect(form.getByText("New password needs at least 10 characters")).toBeVisible();

  await fresh.fill(newPassword);
  await confirm.fill("a different long password");
  await submit.click();
  await expect(form.getByText("Confirm new password does not match the new password")).toBeVisible();

  await current.fill("not my password at all");
  await confirm.fill(newPassword);
  await submit.click();
  await expect(form.getByRole("alert").filter({ hasText: "Your current password is not right." })).toBeVisible();

  await current.fill(user.password);
  await submit.click();
  await expect(form.getByRole("status").filter({ hasText: "Password changed" })).toContainText("Every other session was signed out");
  await expect(current).toHaveValue("");

  // The laptop stays signed in, page after page.
  await page.goto("/projects");
  await expect(page).toHaveURL(/\/projects$/);
  await expect(page.getByTestId("current-user")).toHaveText(user.email);
  await page.goto("/account");
  await expect(page.getByRole("heading", { name: "Change password" })).toBeVisible();

  // The phone is sent to sign in on its next navigation; the old password no longer works, the new one does.
  await phonePage.goto("/projects");
  await expect(phonePage).toHaveURL(/\/login/);
  await phonePage.getByLabel("Email").fill(user.email);
  await phonePage.getByLabel("Password").fill(user.password);
  await phonePage.getByRole("button", { name: "Sign in" }).click();
  await expect(phonePage.getByRole("alert").filter({ hasText: "Wrong email or password." })).toBeVisible();
  await signIn(phonePage, user.email, newPassword);
  await expect(phonePage.getByRole("heading", { name: "Projects" })).toBeVisible();

  await laptop.close();
  await phone.close();
});
