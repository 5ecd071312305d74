import "server-only";
import { cache } from "react";
import { createCaller } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { getSession } from "~/server/auth/options";

/** The server-component caller: same procedures, same checks, no HTTP hop. */
export const api = cache(async () => {
  const session = await getSession();
  return createCaller(createTRPCContext({ user: session?.user.id ? session.user : null }));
});
