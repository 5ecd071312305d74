import { z } from "zod";
import type { PrismaClient } from "~/generated/prisma/client";
import { hashPassword, verifyPassword } from "~/server/auth/password";
import { newSecret } from "~/platform/tokens";

export const credentialsInput = z.object({
  email: z.string().trim().toLowerCase().email().max(254),
  password: z.string().min(1).max(200),
});

let dummyHash: Promise<string> | undefined;

/**
 * A hash of a password nobody knows, at the same cost as real ones. Checking an unknown email against
 * it takes as long as checking a known one, so the answer's timing does not tell who has an account.
 */
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(newSecret());
  return dummyHash;
}

export interface VerifiedUser {
  id: string;
  email: string;
  name: string | null;
  sessionVersion: number;
}

/** The user these credentials sign in, or null; one bcrypt comparison either way. */
export async function checkCredentials(db: PrismaClient, raw: unknown): Promise<VerifiedUser | null> {
  const parsed = credentialsInput.safeParse(raw);
  if (!parsed.success) return null;
  const user = await db.user.findUnique({
    where: { email: parsed.data.email },
    select: { id: true, email: true, name: true, passwordHash: true, sessionVersion: true },
  });
  const matches = await verifyPassword(parsed.data.password, user?.passwordHash ?? (await dummyPasswordHash()));
  if (!user || !matches) return null;
  return { id: user.id, email: user.email, name: user.name, sessionVersion: user.sessionVersion };
}
