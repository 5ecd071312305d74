import "server-only";
import { randomUUID } from "node:crypto";
import { cache } from "react";
import { createCaller } from "~/server/api/root";
import { logTRPCError } from "~/server/api/error-log";
import { createTRPCContext } from "~/server/api/trpc";
import { getSession } from "~/server/auth/options";
import { appLogger } from "~/server/logger";

/** The server-component caller: same procedures, same checks, same error log, no HTTP hop. */
export const api = cache(async () => {
  const session = await getSession();
  const requestId = randomUUID();
  const log = appLogger().child({ component: "trpc-server" });
  return createCaller(createTRPCContext({ user: session?.user.id ? session.user : null }), {
    onError: ({ error, path, type }) => logTRPCError(log, { error, path, type, requestId }),
  });
});
