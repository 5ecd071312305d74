import { spawn } from "node:child_process";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError, DEVELOPMENT_SECRETS } from "~/platform/config-parse";
import { parseAppEnv } from "~/server/env";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/prism";
const PRIVATE = { NEXTAUTH_SECRET: "a".repeat(64), INTERNAL_SECRET: "b".repeat(64), GATEWAY_TOKEN: "c".repeat(48) };

function configError(source: Record<string, string | undefined>): string {
  try {
    parseAppEnv(source);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("app configuration", () => {
  it("keeps the development defaults outside production", () => {
    expect(parseAppEnv({ DATABASE_URL }).NEXTAUTH_SECRET).toBe(DEVELOPMENT_SECRETS.NEXTAUTH_SECRET);
    expect(parseAppEnv({ NODE_ENV: "test", DATABASE_URL }).GATEWAY_TOKEN).toBe(DEVELOPMENT_SECRETS.GATEWAY_TOKEN);
  });

  it("refuses to run in production on unset secrets, naming each in one line", () => {
    const message = configError({ NODE_ENV: "production", DATABASE_URL });
    expect(message).not.toContain("\n");
    expect(message).toMatch(/^Invalid configuration: NEXTAUTH_SECRET, INTERNAL_SECRET, GATEWAY_TOKEN are unset or a public development default/);
  });

  it("refuses a public development default given explicitly, and names only the offending ones", () => {
    const message = configError({ ...PRIVATE, NODE_ENV: "production", DATABASE_URL, INTERNAL_SECRET: DEVELOPMENT_SECRETS.INTERNAL_SECRET });
    expect(message).toMatch(/^Invalid configuration: INTERNAL_SECRET is unset or a public development default/);
    expect(message).not.toMatch(/NEXTAUTH_SECRET|GATEWAY_TOKEN/);
  });

  it("names public secrets beside other problems in the same line", () => {
    const message = configError({ NODE_ENV: "production", DATABASE_URL: "not a url" });
    expect(message).toContain("DATABASE_URL must look like");
    expect(message).toContain("NEXTAUTH_SECRET, INTERNAL_SECRET, GATEWAY_TOKEN are unset");
  });

  it("accepts any private secrets of 16 characters or more in production", () => {
    const secret = fc
      .string({ minLength: 16, maxLength: 80 })
      .filter((value) => value.trim() !== "" && !Object.values(DEVELOPMENT_SECRETS).includes(value as never));
    fc.assert(
      fc.property(secret, secret, secret, (a, b, c) => {
        const env = parseAppEnv({ NODE_ENV: "production", DATABASE_URL, NEXTAUTH_SECRET: a, INTERNAL_SECRET: b, GATEWAY_TOKEN: c });
        expect([env.NEXTAUTH_SECRET, env.INTERNAL_SECRET, env.GATEWAY_TOKEN]).toEqual([a, b, c]);
      }),
    );
  });

  it("stops a production server start with exit 1 and one line when secrets are public", async () => {
    // The same hook Next.js runs at server start (src/instrumentation.ts), in a real process.
    const result = await runNode(`import("./src/instrumentation.ts").then((m) => m.register()).then(() => console.log("booted"))`, {
      NODE_ENV: "production",
      NEXT_RUNTIME: "nodejs",
      DATABASE_URL,
      NEXTAUTH_SECRET: DEVELOPMENT_SECRETS.NEXTAUTH_SECRET,
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^prism app: Invalid configuration: NEXTAUTH_SECRET, INTERNAL_SECRET, GATEWAY_TOKEN are unset or a public development default/),
    ]);
  });

  it("lets the same start through with private secrets", async () => {
    const result = await runNode(`import("./src/instrumentation.ts").then((m) => m.register()).then(() => console.log("booted"))`, {
      NODE_ENV: "production",
      NEXT_RUNTIME: "nodejs",
      DATABASE_URL,
      ...PRIVATE,
    });
    expect(result).toMatchObject({ code: 0, stdout: "booted\n" });
  });
});

function runNode(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "-e", script], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}
