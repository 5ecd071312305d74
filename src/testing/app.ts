import { inject } from "vitest";
import { migrateDatabase } from "../../prisma/tools/migrate";
import type { PrismaClient } from "~/generated/prisma/client";
import { createCaller } from "~/server/api/root";
import { createTRPCContext, type RequestUser, type SessionUser } from "~/server/api/trpc";
import { createPrismaClient } from "~/platform/db";
import type { Mailer, MailMessage } from "~/server/mail";
import { createTestDatabase } from "./postgres";

export interface TestApp {
  db: PrismaClient;
  url: string;
  mails: MailMessage[];
  mailer: Mailer;
  /** A caller signed in as `user`; without a `sessionVersion`, as signed in before any password change (version 0). */
  caller(user: SessionUser | RequestUser | null): ReturnType<typeof createCaller>;
  /** Signs up through the real procedure and returns the session user and their organisation. */
  signUp(email: string, name?: string): Promise<{ user: SessionUser; orgId: string }>;
  close(): Promise<void>;
}

export const TEST_APP_URL = "http://app.test";

/** A freshly migrated database on the real test server, with callers for any user. */
export async function createTestApp(): Promise<TestApp> {
  const database = await createTestDatabase(inject("postgresServerUrl"));
  await migrateDatabase(database.url);
  const db = createPrismaClient(database.url);
  const mails: MailMessage[] = [];
  // Stands for an SMTP server: the addressee receives what is sent.
  const mailer: Mailer = {
    delivery: "smtp",
    async send(message) {
      mails.push(message);
    },
  };
  const caller = (user: SessionUser | RequestUser | null) =>
    createCaller(createTRPCContext({ user: user && { sessionVersion: 0, ...user }, db, mailer, appUrl: TEST_APP_URL }));
  return {
    db,
    url: database.url,
    mails,
    mailer,
    caller,
    async signUp(email, name = "Test User") {
      const result = await caller(null).account.signUp({ email, name, password: "correct horse battery" });
      const membership = await db.membership.findFirstOrThrow({ where: { userId: result.userId }, select: { organizationId: true } });
      return { user: { id: result.userId, email, name }, orgId: membership.organizationId };
    },
    async close() {
      await db.$disconnect();
      await database.drop();
    },
  };
}

/** The token in the last link to `path` mailed to `to`. */
export function tokenFromMail(mails: MailMessage[], to: string, path: string): string {
  const mail = [...mails].reverse().find((message) => message.to === to && message.text.includes(path));
  const match = mail?.text.match(new RegExp(`${path.replace(/[/?]/g, "\\$&")}([\\w-]+)`));
  if (!match?.[1]) throw new Error(`No ${path} link mailed to ${to}`);
  return match[1];
}
