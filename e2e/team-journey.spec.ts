import { expect, test } from "@playwright/test";
import { trpc } from "./helpers";
import { linkTokenFromMail } from "./mailbox";

test("a team signs up, verifies, creates a project, key and event type, and invites a viewer who cannot create keys", async ({ page, browser }) => {
  const stamp = Date.now();
  const owner = { name: "Olive Owner", email: `owner-${stamp}@example.com`, password: "olive's long password" };
  const viewer = { name: "Victor Viewer", email: `viewer-${stamp}@example.com`, password: "victor's long password" };
  const projectName = `Webshop ${stamp}`;

  // Sign up, then verify with the link the real SMTP server received.
  await page.goto("/signup");
  await page.getByLabel("Name").fill(owner.name);
  await page.getByLabel("Email").fill(owner.email);
  await page.getByLabel("Password").fill(owner.password);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/projects/);
  await expect(page.getByText(/verify your email/i).first()).toBeVisible();
  const verifyToken = await linkTokenFromMail(owner.email, "/verify?token=");
  // Opening the link (as a mail scanner would) spends nothing; the button does.
  await page.goto(`/verify?token=${verifyToken}`);
  await page.reload();
  await page.getByRole("button", { name: "Confirm email" }).click();
  await expect(page.getByRole("heading", { name: "Email verified" })).toBeVisible();

  // Create a project in the organisation made at sign-up.
  const [organization] = await trpc<Array<{ id: string }>>(page, "organizations.list", null, "query");
  await page.goto(`/orgs/${organization!.id}`);
  await page.getByRole("button", { name: "New project" }).click();
  await page.getByLabel("Project name").fill(projectName);
  await page.getByRole("button", { name: "Create project" }).click();
  await expect(page).toHaveURL(/\/projects\/proj_/);
  const projectUrl = new URL(page.url()).pathname.match(/\/projects\/proj_[0-9a-z]+/)![0];

  // An API key, shown once.
  await page.getByRole("navigation", { name: "Project sections" }).getByRole("link", { name: "API keys" }).click();
  await page.getByLabel("Key name").fill("production server");
  await page.getByRole("button", { name: "Create key" }).click();
  const secret = page.getByTestId("api-key-secret");
  await expect(secret).toContainText(/ef_live_[\w-]{20,}/);
  const secretText = (await secret.textContent())!.trim();
  await expect(page.getByText("This key is shown only once.")).toBeVisible();
  await page.getByRole("button", { name: "Done" }).click();
  await expect(page.getByTestId("api-key-secret")).toHaveCount(0);
  await expect(page.getByRole("table", { name: "API keys" })).toContainText("production server");
  await expect(page.locator("body")).not.toContainText(secretText);

  // A read key for the REST API: the kind is picked and described; the table shows each key's kind.
  await page.getByLabel("Key name").fill("reporting script");
  await expect(page.getByLabel("Kind", { exact: true })).toHaveValue("write");
  await expect(page.getByText("Sends events and profiles.")).toBeVisible();
  await page.getByLabel("Kind", { exact: true }).selectOption("read");
  await expect(page.getByText("Reads reports and events through the REST API.")).toBeVisible();
  await page.getByRole("button", { name: "Create key" }).click();
  await expect(page.getByRole("dialog", { name: "API key created" })).toContainText("Read key “reporting script”");
  const readSecret = (await page.getByTestId("api-key-secret").textContent())!.trim();
  await page.getByRole("button", { name: "Done" }).click();
  const keyRows = page.getByRole("table", { name: "API keys" }).getByRole("row");
  await expect(keyRows.filter({ hasText: "reporting script" }).getByTestId("api-key-kind")).toHaveText("read");
  await expect(keyRows.filter({ hasText: "production server" }).getByTestId("api-key-kind")).toHaveText("write");
  await expect(page.getByLabel("Kind", { exact: true })).toHaveValue("write");
  await expect(page.getByRole("link", { name: "REST API docs" }).first()).toHaveAttribute("href", "/docs/api");
  // It reads through the REST API, and cannot send events.
  const readEvents = await page.request.get("/api/v1/events", { headers: { authorization: `Bearer ${readSecret}` } });
  expect(readEvents.status(), await readEvents.text()).toBe(200);
  const readIngest = await page.request.post("/api/v1/events", { headers: { "x-api-key": readSecret }, data: { event_name: "page_view", profile_id: "p1" } });
  expect(readIngest.status()).toBeGreaterThanOrEqual(400);
  expect(readIngest.status()).toBeLessThan(500);

  // An event type with fields in the tracking plan.
  await page.getByRole("navigation", { name: "Project sections" }).getByRole("link", { name: "Tracking plan" }).click();
  await page.getByRole("button", { name: "New event type" }).click();
  await page.getByLabel("Event type name").fill("purchase");
  await page.getByRole("button", { name: "Add field" }).click();
  await page.getByLabel("Field 1 name").fill("amount");
  await page.getByLabel("Field 1 type").selectOption("number");
  await page.getByLabel("Field 1 required").check();
  await page.getByRole("button", { name: "Save event type" }).click();
  await expect(page.getByText("purchase").first()).toBeVisible();
  await expect(page.getByText("amount").first()).toBeVisible();

  // Invite a teammate as viewer.
  await page.goto(`/orgs/${organization!.id}`);
  const inviteForm = page.getByRole("form", { name: "Invite a member" });
  await inviteForm.getByLabel("Email").fill(viewer.email);
  await inviteForm.getByLabel("Role").selectOption("viewer");
  await inviteForm.getByRole("button", { name: "Invite" }).click();
  await expect(page.getByRole("table", { name: "Pending invites" })).toContainText(viewer.email);

  // The teammate signs up through the mailed link, in a browser of their own.
  const inviteToken = await linkTokenFromMail(viewer.email, "/invite/");
  const teammate = await browser.newContext();
  const teammatePage = await teammate.newPage();
  await teammatePage.goto(`/invite/${inviteToken}`);
  await teammatePage.getByRole("link", { name: "Sign up to join" }).click();
  await expect(teammatePage.getByLabel("Email")).toHaveValue(viewer.email);
  await teammatePage.getByLabel("Name").fill(viewer.name);
  await teammatePage.getByLabel("Password").fill(viewer.password);
  await teammatePage.getByRole("button", { name: "Create account" }).click();
  await expect(teammatePage).toHaveURL(/\/projects/);
  await expect(teammatePage.getByText(projectName).first()).toBeVisible();

  // As a viewer: the project shows, the key button is absent, and the procedure refuses.
  await teammatePage.goto(`${projectUrl}/keys`);
  await expect(teammatePage.getByRole("table", { name: "API keys" })).toContainText("production server");
  await expect(teammatePage.getByRole("button", { name: "Create key" })).toHaveCount(0);
  const projectId = projectUrl.split("/").pop()!;
  const refused = await teammatePage.request.post("/api/trpc/apiKeys.create", { data: { json: { projectId, name: "sneaky" } } });
  expect(refused.status()).toBe(403);
  expect(await refused.text()).toContain("FORBIDDEN");
  await teammate.close();
});

test("an invite link that is not valid shows a clear page, not an error", async ({ page }) => {
  await page.goto("/invite/this-token-was-never-issued-0000000000");
  await expect(page.getByText("This invite link is not valid.")).toBeVisible();
});
