import { expect, type Page } from "@playwright/test";
import { E2E_MAILBOX_PORT } from "./ports";

export const DEMO = { email: "demo@prism.dev", password: "prism-demo-2026" };

export async function signIn(page: Page, email: string, password: string) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/projects/);
}

/** Calls a tRPC procedure over HTTP with the page's session (superjson envelope). */
export async function trpc<T>(page: Page, path: string, input: unknown, kind: "query" | "mutation" = "mutation"): Promise<T> {
  const response =
    kind === "mutation"
      ? await page.request.post(`/api/trpc/${path}`, { data: { json: input } })
      : await page.request.get(`/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`);
  expect(response.ok(), await response.text()).toBe(true);
  return ((await response.json()) as { result: { data: { json: T } } }).result.data.json;
}

export async function testEnv(): Promise<{ kafkaBrokers: string; dataDir: string }> {
  return (await (await fetch(`http://127.0.0.1:${E2E_MAILBOX_PORT}/env`)).json()) as { kafkaBrokers: string; dataDir: string };
}
