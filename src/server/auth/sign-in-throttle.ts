import { createHash } from "node:crypto";
import type { PrismaClient } from "~/generated/prisma/client";

export interface ThrottlePolicy {
  /** Attempts allowed back to back before each further one waits. */
  freeAttempts: number;
  /** The first wait; each further attempt doubles it, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Attempts older than this (since the last one) are forgotten. */
  forgetAfterMs: number;
}

/** One account: a few typos pass, guessing slows to one try per 15 minutes after about a dozen. */
export const ACCOUNT_POLICY: ThrottlePolicy = { freeAttempts: 5, baseDelayMs: 1000, maxDelayMs: 15 * 60_000, forgetAfterMs: 3600_000 };
/** One client address: roomier, since an office or a carrier NAT shares one. */
export const ADDRESS_POLICY: ThrottlePolicy = { freeAttempts: 30, baseDelayMs: 1000, maxDelayMs: 15 * 60_000, forgetAfterMs: 3600_000 };

export interface ThrottleState {
  attempts: number;
  lastAttemptAt: Date;
  blockedUntil: Date | null;
}

export type ThrottleDecision = { allowed: true; next: ThrottleState } | { allowed: false; retryAfterMs: number };

/** How long the attempt after the `attempts`-th must wait. */
export function backoffMs(attempts: number, policy: ThrottlePolicy): number {
  if (attempts < policy.freeAttempts) return 0;
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempts - policy.freeAttempts, 40));
}

/** Pure: whether an attempt at `now` may go ahead, and the state it leaves. Refused attempts change nothing. */
export function decide(state: ThrottleState | null, now: Date, policy: ThrottlePolicy): ThrottleDecision {
  if (state?.blockedUntil && state.blockedUntil > now) return { allowed: false, retryAfterMs: state.blockedUntil.getTime() - now.getTime() };
  const stale = !state || now.getTime() - state.lastAttemptAt.getTime() > policy.forgetAfterMs;
  const attempts = stale ? 1 : state.attempts + 1;
  const wait = backoffMs(attempts, policy);
  return { allowed: true, next: { attempts, lastAttemptAt: now, blockedUntil: wait > 0 ? new Date(now.getTime() + wait) : null } };
}

export function throttleKey(kind: "email" | "ip", value: string): string {
  return createHash("sha256").update(`${kind}:${value.trim().toLowerCase()}`, "utf8").digest("hex");
}

/**
 * Counts one attempt against `key` unless it must wait. The row is locked for the decision, so
 * concurrent attempts (parallel guesses) are counted one after the other, never all let through.
 */
export async function takeAttempt(db: PrismaClient, key: string, policy: ThrottlePolicy): Promise<ThrottleDecision> {
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`INSERT INTO sign_in_throttles (key) VALUES (${key}) ON CONFLICT (key) DO NOTHING`;
    const [row] = await tx.$queryRaw<Array<{ attempts: number; last_attempt_at: Date; blocked_until: Date | null; now: Date }>>`
      SELECT attempts, last_attempt_at, blocked_until, clock_timestamp() AS now FROM sign_in_throttles WHERE key = ${key} FOR UPDATE`;
    if (!row) throw new Error("sign-in throttle row vanished");
    // A fresh row (attempts 0) has no history yet.
    const state = row.attempts === 0 ? null : { attempts: row.attempts, lastAttemptAt: row.last_attempt_at, blockedUntil: row.blocked_until };
    const decision = decide(state, row.now, policy);
    if (decision.allowed) {
      await tx.$executeRaw`UPDATE sign_in_throttles SET attempts = ${decision.next.attempts}, last_attempt_at = ${decision.next.lastAttemptAt},
        blocked_until = ${decision.next.blockedUntil} WHERE key = ${key}`;
    }
    return decision;
  });
}

/** A successful sign-in clears the account's count. */
export async function forgetAttempts(db: PrismaClient, key: string): Promise<void> {
  await db.$executeRaw`DELETE FROM sign_in_throttles WHERE key = ${key}`;
}

/** Takes back one attempt (and the wait it started, if it was the one over the limit). */
export async function refundAttempt(db: PrismaClient, key: string, policy: ThrottlePolicy): Promise<void> {
  await db.$executeRaw`UPDATE sign_in_throttles SET attempts = GREATEST(attempts - 1, 0),
    blocked_until = CASE WHEN attempts - 1 < ${policy.freeAttempts} THEN NULL ELSE blocked_until END WHERE key = ${key}`;
}

/** Rows idle for a day hold nothing a decision would use. */
export async function pruneThrottles(db: PrismaClient): Promise<void> {
  await db.$executeRaw`DELETE FROM sign_in_throttles WHERE last_attempt_at < now() - interval '1 day'`;
}

export interface SignInGate {
  /** null: go ahead. Otherwise the seconds to wait. */
  check(attempt: { email: string | null; address: string | null }): Promise<number | null>;
  /** After a successful sign-in. */
  succeeded(attempt: { email: string; address: string | null }): Promise<void>;
}

/** The per-address, then per-account limit in front of every credentials sign-in. */
export function signInGate(db: PrismaClient, policies = { account: ACCOUNT_POLICY, address: ADDRESS_POLICY }): SignInGate {
  let calls = 0;
  return {
    async check({ email, address }) {
      if (++calls % 500 === 0) void pruneThrottles(db).catch(() => undefined);
      // The address first: a blocked address does not count against the account it tried.
      for (const [key, policy] of [
        [address ? throttleKey("ip", address) : null, policies.address],
        [email ? throttleKey("email", email) : null, policies.account],
      ] as const) {
        if (!key) continue;
        const decision = await takeAttempt(db, key, policy);
        if (!decision.allowed) return Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
      }
      return null;
    },
    async succeeded({ email, address }) {
      await forgetAttempts(db, throttleKey("email", email));
      // Only failures count against an address: an office behind one NAT signs in all morning.
      if (address) await refundAttempt(db, throttleKey("ip", address), policies.address);
    },
  };
}
