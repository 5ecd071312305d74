import type { PrismaClient } from "~/generated/prisma/client";
import { createPrismaClient } from "~/platform/db";
import { appEnv } from "~/server/env";

const globalForPrisma = globalThis as unknown as { prisma?: PrismaClient };

/** The app's one client per process; cached on globalThis so dev reloads do not leak pools. */
export function db(): PrismaClient {
  globalForPrisma.prisma ??= createPrismaClient(appEnv().DATABASE_URL);
  return globalForPrisma.prisma;
}
