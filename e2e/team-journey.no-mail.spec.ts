import { expect, test } from "@playwright/test";
import { trpc } from "./helpers";

// The default install (`npm start` without SMTP_URL): invite links are handed over in the app.
test.use({ permissions: ["clipboard-read", "clipboard-write"] });

test("without mail, an owner invites a teammate by copying the link, and the teammate joins the project", async ({ page, browser, baseURL }) => {
  const stamp = Date.now();
  const owner = { name: "Nora Owner", email: `nora-${stamp}@example.com`, password: "nora's long password" };
  const mate = { name: "Tom Teammate", email: `tom-${stamp}@example.com`, password: "tom's long password" };
  const projectName = `Mail-less shop ${stamp}`;

  // Sign-up says what verification means here, and nothing asks for it afterwards.
  await page.goto("/signup");
  await expect(page.getByTestId("verification-note")).toHaveText(/no mail server set up: your account works straight away/);
  await page.getByLabel("Name").fill(owner.name);
  await page.getByLabel("Email").fill(owner.email);
  await page.getByLabel("Password").fill(owner.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/projects/);
  await expect(page.getByRole("region", { name: "Email verification" })).toHaveCount(0);

  const [organization] = await trpc<Array<{ id: string }>>(page, "organizations.list", null, "query");
  await page.goto(`/orgs/${organization!.id}`);
  await page.getByRole("button", { name: "New project" }).click();
  await page.getByLabel("Project name").fill(projectName);
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page).toHaveURL(/\/projects\/proj_/);

  // Invite: the link is shown once, and the copy button puts exactly it on the clipboard.
  await page.goto(`/orgs/${organization!.id}`);
  const inviteForm = page.getByRole("form", { name: "Invite a member" });
  await inviteForm.getByLabel("Email").fill(mate.email);
  await inviteForm.getByLabel("Role").selectOption("member");
  await inviteForm.getByRole("button", { name: "Invite" }).click();
  const shown = page.getByTestId("invite-link");
  await expect(shown).toHaveText(new RegExp(`^${baseURL}/invite/[\\w-]{40,}$`));
  const link = (await shown.textContent())!.trim();
  await page.getByRole("button", { name: `Copy invite link for ${mate.email}` }).click();
  await expect(page.getByRole("button", { name: `Copy invite link for ${mate.email}` })).toHaveText("Copied");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
  await expect(page.getByRole("table", { name: "Pending invites" })).toContainText(mate.email);

  // The first account is the instance admin: the outbox, linked from the header, holds the same mail.
  await page.getByRole("link", { name: "Outbox" }).click();
  await expect(page).toHaveURL(/\/admin\/outbox/);
  const kept = page.getByRole("list", { name: "Kept mails" }).getByRole("listitem").filter({ hasText: mate.email });
  await expect(kept).toContainText("You are invited to");
  await expect(kept.getByRole("link", { name: link })).toBeVisible();

  // The teammate opens the copied link in a browser of their own, signs up and lands in the project.
  const teammate = await browser.newContext();
  const teammatePage = await teammate.newPage();
  await teammatePage.goto(link);
  await teammatePage.getByRole("link", { name: "Sign up to join" }).click();
  await expect(teammatePage.getByLabel("Email")).toHaveValue(mate.email);
  await teammatePage.getByLabel("Name").fill(mate.name);
  await teammatePage.getByLabel("Password").fill(mate.password);
  await teammatePage.getByRole("button", { name: "Create account" }).click();
  await expect(teammatePage).toHaveURL(/\/projects/);
  await teammatePage.getByText(projectName).first().click();
  await expect(teammatePage).toHaveURL(/\/projects\/proj_/);
  await expect(teammatePage.getByText(projectName).first()).toBeVisible();

  // The teammate is no admin of the instance: no outbox link, and the page does not exist for them.
  await expect(teammatePage.getByRole("link", { name: "Outbox" })).toHaveCount(0);
  const outbox = await teammatePage.goto("/admin/outbox");
  expect(outbox?.status()).toBe(404);
  const refused = await teammatePage.request.get(`/api/trpc/admin.outbox?input=${encodeURIComponent(JSON.stringify({ json: {} }))}`);
  expect(refused.status()).toBe(403);
  expect(await refused.text()).not.toContain("/invite/");

  // The link was single-use.
  await teammatePage.goto(link);
  await expect(teammatePage.getByText("This invite has already been used.")).toBeVisible();
  await teammate.close();
});
