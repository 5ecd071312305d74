/**
 * The real next-auth core (sign-in callback, session read, session update) with our options, on the
 * real database: what a browser's cookie does before and after a password reset or change.
 */
import { createHash } from "node:crypto";
import type { NextApiRequest, NextApiResponse } from "next";
import NextAuth from "next-auth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { authOptions as AuthOptions } from "~/server/auth/options";
import { detachedWorkSettled } from "~/server/detached";
import { createTestApp, tokenFromMail, type TestApp } from "~/testing/app";

let app: TestApp;
let authOptions: typeof AuthOptions;

const SESSION_COOKIE = "next-auth.session-token";
const CSRF = "csrf-token-for-the-test";

beforeAll(async () => {
  app = await createTestApp();
  // The options read the app's configuration and Prisma client once, from the environment.
  process.env.DATABASE_URL = app.url;
  process.env.NEXTAUTH_URL = "http://app.test";
  process.env.LOG_LEVEL = "silent";
  ({ authOptions } = await import("~/server/auth/options"));
});
afterAll(async () => {
  const { db } = await import("~/server/db");
  await db().$disconnect();
  await app?.close();
});

/** The double-submit CSRF cookie next-auth expects beside a POST. */
function csrfCookie(): string {
  return `${CSRF}|${createHash("sha256").update(`${CSRF}${authOptions().secret}`).digest("hex")}`;
}

/**
 * One call of next-auth's own handler (its Node request/response form, which needs no Next.js
 * request scope): `/api/auth/<action...>` with cookies and a form body. Returns the answer's body
 * and the session cookie it set ("" when it cleared it).
 */
async function callNextAuth(action: string[], opts: { method: "GET" | "POST"; cookies: Record<string, string>; body?: Record<string, unknown> }) {
  let body: unknown;
  const setCookies: string[] = [];
  const headers = new Map<string, unknown>();
  const res = {
    status: () => res,
    setHeader: (name: string, value: unknown) => {
      if (name.toLowerCase() === "set-cookie") setCookies.splice(0, setCookies.length, ...(value as string[]));
      else headers.set(name.toLowerCase(), value);
      return res;
    },
    getHeader: (name: string) => (name.toLowerCase() === "set-cookie" ? [...setCookies] : headers.get(name.toLowerCase())),
    json: (value: unknown) => void (body = value),
    send: (value: unknown) => void (body = value),
    end: () => undefined,
  };
  const req = { method: opts.method, query: { nextauth: action }, cookies: opts.cookies, headers: { host: "app.test" }, body: opts.body ?? {} };
  await NextAuth(req as unknown as NextApiRequest, res as unknown as NextApiResponse, authOptions());
  const session = setCookies.find((cookie) => cookie.startsWith(`${SESSION_COOKIE}=`));
  return {
    body: body as { user?: { id: string; sessionVersion: number } } | undefined,
    sessionCookie: session?.slice(SESSION_COOKIE.length + 1).split(";")[0],
  };
}

async function signIn(email: string, password: string): Promise<string> {
  const { sessionCookie } = await callNextAuth(["callback", "credentials"], {
    method: "POST",
    cookies: { "next-auth.csrf-token": csrfCookie() },
    body: { email, password, csrfToken: CSRF, json: "true" },
  });
  if (!sessionCookie) throw new Error(`sign-in of ${email} failed`);
  return sessionCookie;
}

async function readSession(cookie: string) {
  const { body, sessionCookie } = await callNextAuth(["session"], { method: "GET", cookies: { [SESSION_COOKIE]: cookie } });
  return { user: body?.user ?? null, cookie: sessionCookie };
}

async function updateSession(cookie: string, data: unknown) {
  const { body, sessionCookie } = await callNextAuth(["session"], {
    method: "POST",
    cookies: { [SESSION_COOKIE]: cookie, "next-auth.csrf-token": csrfCookie() },
    body: { csrfToken: CSRF, data },
  });
  return { user: body?.user ?? null, cookie: sessionCookie };
}

describe("sessions across a password reset or change", () => {
  it("a reset ends a signed-in browser's session, and a new sign-in works", async () => {
    const { user } = await app.signUp("cookie-reset@example.com");
    const cookie = await signIn("cookie-reset@example.com", "correct horse battery");
    expect((await readSession(cookie)).user).toMatchObject({ id: user.id, sessionVersion: 0 });

    await app.caller(null).account.requestPasswordReset({ email: "cookie-reset@example.com" });
    await detachedWorkSettled();
    const token = tokenFromMail(app.mails, "cookie-reset@example.com", "/reset?token=");
    await app.caller(null).account.resetPassword({ token, password: "a brand new password" });

    const after = await readSession(cookie);
    expect(after.user).toBeNull();
    // next-auth answers with the cookie cleared.
    expect(after.cookie).toBe("");
    const fresh = await signIn("cookie-reset@example.com", "a brand new password");
    expect((await readSession(fresh)).user).toMatchObject({ id: user.id, sessionVersion: 1 });
  });

  it("a change keeps the changing session (through its renewal) and ends the others", async () => {
    const { user } = await app.signUp("cookie-change@example.com");
    const laptop = await signIn("cookie-change@example.com", "correct horse battery");
    const phone = await signIn("cookie-change@example.com", "correct horse battery");

    const { renewal } = await app
      .caller({ ...user, sessionVersion: 0 })
      .account.changePassword({ currentPassword: "correct horse battery", newPassword: "another long password" });
    const renewed = await updateSession(laptop, { renewal });
    expect(renewed.user).toMatchObject({ id: user.id, sessionVersion: 1 });
    expect((await readSession(renewed.cookie!)).user).toMatchObject({ id: user.id, sessionVersion: 1 });

    expect((await readSession(phone)).user).toBeNull();
    // The phone cannot revive itself without the proof.
    expect((await updateSession(phone, { renewal: "f".repeat(64) })).user).toBeNull();
  });

  it("keeps a session while PostgreSQL does not answer, instead of signing everyone out", async () => {
    await app.signUp("cookie-outage@example.com");
    const cookie = await signIn("cookie-outage@example.com", "correct horse battery");
    const { createPrismaClient } = await import("~/platform/db");
    const shared = globalThis as unknown as { prisma?: ReturnType<typeof createPrismaClient> };
    const working = shared.prisma;
    const unreachable = createPrismaClient("postgresql://postgres@127.0.0.1:1/nowhere");
    shared.prisma = unreachable;
    try {
      const during = await readSession(cookie);
      expect(during.user?.sessionVersion).toBe(0);
      expect(during.cookie).not.toBe("");
    } finally {
      shared.prisma = working;
      await unreachable.$disconnect();
    }
    expect((await readSession(cookie)).user?.sessionVersion).toBe(0);
  });
});
