import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import type { Logger } from "~/platform/logger";
import { appRouter } from "~/server/api/root";
import type { TRPCContext } from "~/server/api/trpc";
import { logTRPCError, requestIdOf } from "~/server/api/error-log";

/** Serves /api/trpc: every failed procedure is logged under the request id the response carries. */
export function handleTRPCRequest(request: Request, opts: { createContext: () => TRPCContext | Promise<TRPCContext>; log: Logger }): Promise<Response> {
  const requestId = requestIdOf(request);
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: request,
    router: appRouter,
    createContext: opts.createContext,
    onError: ({ error, path, type }) => logTRPCError(opts.log, { error, path, type, requestId }),
    responseMeta: () => ({ headers: { "x-request-id": requestId } }),
  });
}
