import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleTRPCRequest } from "~/server/api/http-handler";
import { createTRPCContext } from "~/server/api/trpc";
import { createPrismaClient } from "~/platform/db";
import { createTestApp, TEST_APP_URL, type TestApp } from "~/testing/app";

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
});
afterAll(async () => {
  await app?.close();
});

interface LogLine {
  level: number;
  msg: string;
  requestId: string;
  path: string;
  code: string;
  err?: { type: string; message: string; stack?: string };
  issues?: Array<{ path: string; code: string }>;
}

/** A real pino logger whose JSON lines the test reads back. */
function capturingLogger() {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw.push(chunk.toString());
      done();
    },
  });
  const log = pino({ level: "trace" }, stream);
  return {
    log,
    raw,
    lines: () =>
      raw
        .join("")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as LogLine),
  };
}

function post(path: string, input: unknown, headers: Record<string, string> = {}) {
  return new Request(`${TEST_APP_URL}/api/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ json: input }),
  });
}

describe("tRPC error logging", () => {
  it("logs a refused call at warn with path, code and the request id the response carries", async () => {
    const { log, lines } = capturingLogger();
    const response = await handleTRPCRequest(new Request(`${TEST_APP_URL}/api/trpc/account.me`), {
      createContext: () => createTRPCContext({ user: null, db: app.db, mailer: app.mailer, appUrl: TEST_APP_URL }),
      log,
    });
    expect(response.status).toBe(401);
    const requestId = response.headers.get("x-request-id");
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines()).toEqual([expect.objectContaining({ level: 40, requestId, path: "account.me", code: "UNAUTHORIZED" })]);
  });

  it("logs invalid input at info by field name, never the values (passwords stay out of the logs)", async () => {
    const { log, lines, raw } = capturingLogger();
    const response = await handleTRPCRequest(
      post("account.signUp", { email: "not-an-email", name: "Eve", password: "hunter2-very-secret" }, { "x-request-id": "req-from-proxy.42" }),
      { createContext: () => createTRPCContext({ user: null, db: app.db, mailer: app.mailer, appUrl: TEST_APP_URL }), log },
    );
    expect(response.status).toBe(400);
    expect(response.headers.get("x-request-id")).toBe("req-from-proxy.42");
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 30,
        requestId: "req-from-proxy.42",
        path: "account.signUp",
        code: "BAD_REQUEST",
        issues: [{ path: "email", code: "invalid_format" }],
      }),
    ]);
    expect(raw.join("")).not.toContain("hunter2");
    expect(raw.join("")).not.toContain("not-an-email");
  });

  it("logs a server fault at error level with its stack, and no input", async () => {
    const { log, lines, raw } = capturingLogger();
    // A database that does not answer: the procedure fails inside, as when PostgreSQL is down.
    const unreachable = createPrismaClient("postgresql://postgres@127.0.0.1:1/nowhere");
    try {
      const response = await handleTRPCRequest(post("account.requestPasswordReset", { email: "victim@example.com" }), {
        createContext: () => createTRPCContext({ user: null, db: unreachable, mailer: app.mailer, appUrl: TEST_APP_URL }),
        log,
      });
      expect(response.status).toBe(500);
      const [line, ...rest] = lines();
      expect(rest).toEqual([]);
      expect(line).toMatchObject({
        level: 50,
        path: "account.requestPasswordReset",
        code: "INTERNAL_SERVER_ERROR",
        requestId: response.headers.get("x-request-id"),
      });
      expect(line?.err?.stack).toMatch(/\n\s+at /);
      expect(raw.join("")).not.toContain("victim@example.com");
    } finally {
      await unreachable.$disconnect();
    }
  });

  it("a malformed request id is replaced by a fresh one", async () => {
    const { log, lines } = capturingLogger();
    const response = await handleTRPCRequest(new Request(`${TEST_APP_URL}/api/trpc/account.me`, { headers: { "x-request-id": "bad id\twith spaces" } }), {
      createContext: () => createTRPCContext({ user: null, db: app.db, mailer: app.mailer, appUrl: TEST_APP_URL }),
      log,
    });
    const requestId = response.headers.get("x-request-id");
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines()[0]?.requestId).toBe(requestId);
  });
});
