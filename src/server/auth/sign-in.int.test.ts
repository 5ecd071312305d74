import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkCredentials, dummyPasswordHash } from "~/server/auth/credentials";
import { guardSignIn } from "~/server/auth/sign-in-guard";
import { ACCOUNT_POLICY, ADDRESS_POLICY, backoffMs, decide, signInGate, takeAttempt, throttleKey, type ThrottleState } from "~/server/auth/sign-in-throttle";
import { createTestApp, type TestApp } from "~/testing/app";

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp();
  await app.signUp("known@example.com");
  await dummyPasswordHash();
});
afterAll(async () => {
  await app?.close();
});

/**
 * Stands in for next-auth's credentials callback (which needs the Next.js request scope): the real
 * password check, 401 on failure, the session cookie on success.
 */
async function credentialsCallback(request: Request): Promise<Response> {
  const form = new URLSearchParams(await request.text());
  const user = await checkCredentials(app.db, { email: form.get("email"), password: form.get("password") });
  if (!user) return Response.json({ url: "http://app.test/api/auth/error?error=CredentialsSignin" }, { status: 401 });
  return Response.json({ url: "http://app.test/projects" }, { headers: { "set-cookie": "next-auth.session-token=signed; Path=/; HttpOnly" } });
}

function signInRequest(email: string, password: string, address: string) {
  return new Request("http://app.test/api/auth/callback/credentials", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-for": address },
    body: new URLSearchParams({ email, password, csrfToken: "x", json: "true" }),
  });
}

/** Policies with waits long enough that a loaded machine's slow bcrypt cannot outlast them mid-test. */
const ACCOUNT = { ...ACCOUNT_POLICY, baseDelayMs: 3000 };
const ADDRESS = { ...ADDRESS_POLICY, freeAttempts: 5, baseDelayMs: 60_000 };
const gate = () => signInGate(app.db, { account: ACCOUNT, address: ADDRESS });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

describe("credentials", () => {
  it("signs in the right password only", async () => {
    expect(await checkCredentials(app.db, { email: "KNOWN@example.com", password: "correct horse battery" })).toMatchObject({
      email: "known@example.com",
      sessionVersion: 0,
    });
    expect(await checkCredentials(app.db, { email: "known@example.com", password: "wrong password" })).toBeNull();
    expect(await checkCredentials(app.db, { email: "nobody@example.com", password: "correct horse battery" })).toBeNull();
  });

  it("takes as long for an unknown email as for a known one with a wrong password", async () => {
    const known: number[] = [];
    const unknown: number[] = [];
    for (let round = 0; round < 5; round++) {
      known.push(await timed(() => checkCredentials(app.db, { email: "known@example.com", password: `wrong ${round}` })));
      unknown.push(await timed(() => checkCredentials(app.db, { email: `nobody${round}@example.com`, password: `wrong ${round}` })));
    }
    // Before the dummy hash: about 300 ms against 7 ms. A bcrypt comparison either way keeps them close.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.6);
    expect(median(unknown)).toBeLessThan(median(known) * 1.6);
  });
});

describe("sign-in limit", () => {
  it("answers 429 with Retry-After after five wrong passwords for one account, and doubles the wait", async () => {
    const handler = guardSignIn(credentialsCallback, gate);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 8; attempt++) statuses.push((await handler(signInRequest("known@example.com", "guess", `10.0.0.${attempt}`), {})).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);

    const refused = await handler(signInRequest("known@example.com", "correct horse battery", "10.0.1.1"), {});
    expect(refused.status).toBe(429);
    const wait = Number(refused.headers.get("retry-after"));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(3);
    expect(await refused.json()).toMatchObject({ error: "too_many_attempts", retryAfter: wait, url: "http://app.test/api/auth/error?error=TooManyAttempts" });

    await new Promise((resolve) => setTimeout(resolve, wait * 1000 + 100));
    expect((await handler(signInRequest("known@example.com", "guess", "10.0.1.2"), {})).status).toBe(401);
    const longer = await handler(signInRequest("known@example.com", "correct horse battery", "10.0.1.3"), {});
    expect(longer.status).toBe(429);
    // The next wait is twice the first: 6 s, of which the last attempt's bcrypt may have used some.
    expect(Number(longer.headers.get("retry-after"))).toBeGreaterThanOrEqual(4);
    expect(Number(longer.headers.get("retry-after"))).toBeLessThanOrEqual(6);
  });

  it("limits one address trying many accounts, without counting against those accounts once it is blocked", async () => {
    const handler = guardSignIn(credentialsCallback, gate);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < ADDRESS.freeAttempts + 2; attempt++) {
      statuses.push((await handler(signInRequest(`spray${attempt}@example.com`, "guess", "203.0.113.9"), {})).status);
    }
    expect(statuses.slice(0, ADDRESS.freeAttempts)).toEqual(Array(ADDRESS.freeAttempts).fill(401));
    expect(statuses.slice(ADDRESS.freeAttempts)).toEqual([429, 429]);
    // The last refused attempt named a fresh account: refused at the address, it left no count there.
    expect(await app.db.signInThrottle.findUnique({ where: { key: throttleKey("email", `spray${ADDRESS.freeAttempts + 1}@example.com`) } })).toBeNull();
    // Another address still signs in.
    expect((await handler(signInRequest("spray0@example.com", "guess", "198.51.100.7"), {})).status).toBe(401);
  });

  it("clears an account's count when it signs in", async () => {
    await app.signUp("typo@example.com");
    const handler = guardSignIn(credentialsCallback, gate);
    for (let attempt = 0; attempt < 4; attempt++) expect((await handler(signInRequest("typo@example.com", "typo", `10.1.0.${attempt}`), {})).status).toBe(401);
    expect((await handler(signInRequest("Typo@Example.com", "correct horse battery", "10.1.2.1"), {})).status).toBe(200);
    for (let attempt = 0; attempt < 4; attempt++) expect((await handler(signInRequest("typo@example.com", "typo", `10.1.1.${attempt}`), {})).status).toBe(401);
  });

  it("counts only failures against an address, so many people behind one NAT keep signing in", async () => {
    await app.signUp("office@example.com");
    const handler = guardSignIn(credentialsCallback, () => signInGate(app.db, { account: ACCOUNT, address: { ...ADDRESS, freeAttempts: 3 } }));
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt++)
      statuses.push((await handler(signInRequest("office@example.com", "correct horse battery", "192.0.2.50"), {})).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    for (let attempt = 0; attempt < 3; attempt++)
      statuses.push((await handler(signInRequest(`office-typo${attempt}@example.com`, "guess", "192.0.2.50"), {})).status);
    expect(statuses.slice(6)).toEqual([401, 401, 401]);
    expect((await handler(signInRequest("office@example.com", "correct horse battery", "192.0.2.50"), {})).status).toBe(429);
  });

  it("lets exactly the free attempts through when guesses arrive all at once", async () => {
    const key = throttleKey("email", "burst@example.com");
    const decisions = await Promise.all(Array.from({ length: 20 }, () => takeAttempt(app.db, key, ADDRESS)));
    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(ADDRESS.freeAttempts);
  });

  it("leaves other requests to next-auth untouched", async () => {
    let reached = 0;
    const handler = guardSignIn(async () => {
      reached++;
      return new Response("{}");
    }, gate);
    await handler(new Request("http://app.test/api/auth/session"), {});
    await handler(new Request("http://app.test/api/auth/signout", { method: "POST" }), {});
    expect(reached).toBe(2);
    expect(await app.db.signInThrottle.count({ where: { key: throttleKey("ip", "unknown") } })).toBe(0);
  });
});

describe("throttle decisions", () => {
  const state = fc.record({
    attempts: fc.integer({ min: 1, max: 200 }),
    lastAttemptAt: fc.date({ min: new Date("2026-01-01"), max: new Date("2026-01-02"), noInvalidDate: true }),
    blockedUntil: fc.option(fc.date({ min: new Date("2026-01-01"), max: new Date("2026-01-03"), noInvalidDate: true })),
  });

  it("refuses exactly while blocked, and then counts one more attempt and waits at least as long as before", () => {
    fc.assert(
      fc.property(state, fc.date({ min: new Date("2026-01-01"), max: new Date("2026-01-03"), noInvalidDate: true }), (before: ThrottleState, now) => {
        const decision = decide(before, now, ACCOUNT_POLICY);
        const blocked = before.blockedUntil !== null && before.blockedUntil > now;
        expect(decision.allowed).toBe(!blocked);
        if (!decision.allowed) {
          expect(decision.retryAfterMs).toBe(before.blockedUntil!.getTime() - now.getTime());
          return;
        }
        const forgotten = now.getTime() - before.lastAttemptAt.getTime() > ACCOUNT_POLICY.forgetAfterMs;
        expect(decision.next.attempts).toBe(forgotten ? 1 : before.attempts + 1);
        const wait = (decision.next.blockedUntil?.getTime() ?? now.getTime()) - now.getTime();
        expect(wait).toBe(backoffMs(decision.next.attempts, ACCOUNT_POLICY));
        expect(wait).toBeLessThanOrEqual(ACCOUNT_POLICY.maxDelayMs);
        if (!forgotten) expect(wait).toBeGreaterThanOrEqual(backoffMs(before.attempts, ACCOUNT_POLICY));
      }),
    );
  });
});
