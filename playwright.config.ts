import { defineConfig } from "@playwright/test";
import { CHROMIUM_ARGS, chromiumExecutable } from "./e2e/browser";
import { E2E_MAILBOX_PORT, E2E_NO_MAIL_PORT, E2E_PORT } from "./e2e/ports";

export const E2E_BASE_URL = `http://127.0.0.1:${E2E_PORT}`;
/** The default install (no SMTP, embedded log), served beside the main platform by e2e/serve.ts. */
export const E2E_NO_MAIL_BASE_URL = `http://127.0.0.1:${E2E_NO_MAIL_PORT}`;
const NO_MAIL_SPECS = "**/*.no-mail.spec.ts";

/** A system or npm-packaged Chromium, never a downloaded browser build (see e2e/browser.ts). */
const executablePath = await chromiumExecutable();

export default defineConfig({
  testDir: "e2e",
  testMatch: "**/*.spec.ts",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  reporter: [["list"]],
  use: {
    baseURL: E2E_BASE_URL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath,
      args: CHROMIUM_ARGS,
    },
  },
  projects: [
    { name: "chromium", testIgnore: NO_MAIL_SPECS, use: { browserName: "chromium" } },
    { name: "no-mail", testMatch: NO_MAIL_SPECS, use: { browserName: "chromium", baseURL: E2E_NO_MAIL_BASE_URL } },
  ],
  webServer: {
    // Production builds of the whole platform on fresh databases: with SMTP, and without (e2e/serve.ts).
    command: "tsx e2e/serve.ts",
    url: `http://127.0.0.1:${E2E_MAILBOX_PORT}/ready`,
    timeout: 600_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    env: { E2E_PORT: String(E2E_PORT), E2E_NO_MAIL_PORT: String(E2E_NO_MAIL_PORT), E2E_MAILBOX_PORT: String(E2E_MAILBOX_PORT) },
  },
});
