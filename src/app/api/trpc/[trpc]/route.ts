import { handleTRPCRequest } from "~/server/api/http-handler";
import { createTRPCContext } from "~/server/api/trpc";
import { getSession } from "~/server/auth/options";
import { appLogger } from "~/server/logger";

export const dynamic = "force-dynamic";

async function handler(request: Request) {
  const session = await getSession();
  return handleTRPCRequest(request, {
    createContext: () => createTRPCContext({ user: session?.user.id ? session.user : null }),
    log: appLogger().child({ component: "trpc" }),
  });
}

export { handler as GET, handler as POST };
