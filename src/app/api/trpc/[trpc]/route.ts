import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { getSession } from "~/server/auth/options";

export const dynamic = "force-dynamic";

async function handler(request: Request) {
  const session = await getSession();
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: request,
    router: appRouter,
    createContext: () => createTRPCContext({ user: session?.user.id ? session.user : null }),
  });
}

export { handler as GET, handler as POST };
