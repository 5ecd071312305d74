/**
 * The app's typed client of the worker's DuckDB query service (workers/query). Only server code
 * calls it, after a router has checked the user's role on the project: the project id it sends is
 * the authorised one, never one from the browser.
 */
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import { TRPCError } from "@trpc/server";
import superjson from "superjson";
import type { QueryRouter } from "../../workers/query/router";
import { appEnv } from "~/server/env";

export type QueryClient = ReturnType<typeof createTRPCClient<QueryRouter>>;
export interface QueryServiceTarget {
  /** The worker's base URL, e.g. http://127.0.0.1:4100 */
  url: string;
  secret: string;
}

let override: QueryServiceTarget | null = null;
const clients = new Map<string, QueryClient>();

/** Points the app at another worker (tests start their own); null returns to WORKER_URL. */
export function setQueryServiceTarget(target: QueryServiceTarget | null): void {
  override = target;
}

export function queryServiceTarget(): QueryServiceTarget {
  return override ?? { url: appEnv().WORKER_URL, secret: appEnv().INTERNAL_SECRET };
}

export function queryClient(target: QueryServiceTarget = queryServiceTarget()): QueryClient {
  const key = `${target.url}\u0000${target.secret}`;
  let client = clients.get(key);
  if (!client) {
    client = createTRPCClient<QueryRouter>({
      links: [
        httpLink({
          url: `${target.url.replace(/\/$/, "")}/query`,
          transformer: superjson,
          // Report definitions can be long; POST keeps them out of the URL.
          methodOverride: "POST",
          headers: () => ({ "x-internal-secret": target.secret }),
        }),
      ],
    });
    clients.set(key, client);
  }
  return client;
}

const PASS_THROUGH = new Set(["BAD_REQUEST", "NOT_FOUND", "TIMEOUT", "PAYLOAD_TOO_LARGE"]);

/**
 * Runs a call to the query service, turning its failures into errors for the app's own callers:
 * the service's own messages for bad input, timeouts and too many rows; a clear "not reachable"
 * when the worker is down.
 */
export async function callQueryService<T>(call: (client: QueryClient) => Promise<T>): Promise<T> {
  try {
    return await call(queryClient());
  } catch (error) {
    if (error instanceof TRPCClientError) {
      const code = (error.data as { code?: string } | undefined)?.code;
      if (code && PASS_THROUGH.has(code)) throw new TRPCError({ code: code as "BAD_REQUEST", message: error.message, cause: error });
      if (code === "UNAUTHORIZED" || (error.cause === undefined && !code && /401|unauthori[sz]ed/i.test(error.message))) {
        throw new TRPCError({
          code: "INTERNAL_SERVER_ERROR",
          message: "The query service refused the app's credentials (check INTERNAL_SECRET on both sides).",
          cause: error,
        });
      }
      if (!code) {
        throw new TRPCError({
          code: "SERVICE_UNAVAILABLE",
          message: "The query service is not reachable right now; check that the worker (role sink or all) is running, then retry.",
          cause: error,
        });
      }
      throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: error.message, cause: error });
    }
    throw error;
  }
}
