import { createHash } from "node:crypto";
import type { PrismaClient } from "~/generated/prisma/client";
import { sameHash } from "~/platform/tokens";

/** Thrown from the jwt callback for a session older than its user's last password reset or change. */
export class SessionRevoked extends Error {
  override name = "SessionRevoked";
}

/** The user's current session version, or null when the user is gone. */
export async function currentSessionVersion(db: PrismaClient, userId: string): Promise<number | null> {
  const user = await db.user.findUnique({ where: { id: userId }, select: { sessionVersion: true } });
  return user?.sessionVersion ?? null;
}

/**
 * What lets the session that changed the password move to the new version: derived from the new
 * password hash, which never leaves the server, so only the caller of changePassword holds it, and
 * any later change makes it worthless.
 */
export function renewalProof(user: { passwordHash: string; sessionVersion: number }): string {
  return createHash("sha256").update(`session-renewal:${user.sessionVersion}:${user.passwordHash}`, "utf8").digest("hex");
}

/** The version a session may move to with `proof`, or null if the proof is not the current one. */
export async function renewedVersion(db: PrismaClient, userId: string, proof: unknown): Promise<number | null> {
  if (typeof proof !== "string" || !/^[0-9a-f]{64}$/.test(proof)) return null;
  const user = await db.user.findUnique({ where: { id: userId }, select: { passwordHash: true, sessionVersion: true } });
  return user && sameHash(renewalProof(user), proof) ? user.sessionVersion : null;
}
