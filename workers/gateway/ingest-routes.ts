/**
 * The edge ingest handler served by the worker itself: the same web-standard code as the
 * Next.js edge routes, with a direct bus producer (no REST hop) and keys looked up in
 * PostgreSQL (cached briefly). For deployments that want ingest without the web app in the path.
 */
import { createIngestHandler, type IngestHandler, type OutgoingRecord } from "../../edge/ingest";
import { createKeyCache } from "../../edge/key-cache";
import type { PrismaClient } from "../../src/generated/prisma/client";
import { resolveApiKey } from "../../src/platform/resolve-key";
import type { Bus } from "../bus/types";
import { discardBody, readBody, sendWebResponse, toWebRequest, type Routes } from "../../src/platform/http";
import { coalesce } from "../coalesce";

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

export function createWorkerIngest(opts: { bus: Bus; db: PrismaClient; keyCacheMs?: number }): IngestHandler {
  // Concurrent requests share one durable write instead of queueing behind each other.
  const produce = coalesce<OutgoingRecord>(async (records) => {
    await opts.bus.produce(records.map((record) => ({ topic: record.topic, key: record.key, value: record.value, headers: record.headers })));
  });
  return createIngestHandler({
    resolveKey: createKeyCache((key) => resolveApiKey(opts.db, key), opts.keyCacheMs ?? 10_000),
    produce,
  });
}

/**
 * Mounts the ingest API. `otherMethods: "refuse"` answers any other method on its paths 405 (the
 * worker's own port); `"pass"` leaves them unrouted, for the public port, where the web app serves
 * them (GET /api/v1/events is the REST event list, and its 405s name the methods it serves).
 */
export function addIngestRoutes(routes: Routes, handler: IngestHandler, { otherMethods = "refuse" }: { otherMethods?: "refuse" | "pass" } = {}): void {
  const mount = (method: string, path: string, handle: (request: Request) => Response | Promise<Response>) =>
    routes.add(method, path, async (req, res) => {
      const hasBody = method !== "GET" && method !== "HEAD" && method !== "OPTIONS";
      const body = hasBody ? await readBody(req, handler.limits.maxRequestBytes) : null;
      if (hasBody && body === null) return sendWebResponse(res, handler.payloadTooLarge(), discardBody(req));
      return sendWebResponse(res, await handle(toWebRequest(req, body)));
    });
  const served: Array<[path: string, methods: Record<string, (request: Request) => Response | Promise<Response>>]> = [
    ["/api/v1/events", { POST: handler.events, OPTIONS: () => handler.preflight() }],
    ["/api/v1/events/batch", { POST: handler.batch, OPTIONS: () => handler.preflight() }],
    ["/api/v1/profiles", { POST: handler.profiles, OPTIONS: () => handler.preflight() }],
    ["/api/v1/health", { GET: () => handler.health() }],
  ];
  for (const [path, methods] of served) {
    const allow = Object.keys(methods).join(", ");
    for (const method of METHODS) {
      const handle = methods[method];
      if (handle) mount(method, path, handle);
      // Other methods get 405 without their body being read: nothing of it is needed.
      else if (otherMethods === "refuse")
        routes.add(method, path, (req, res) => sendWebResponse(res, handler.methodNotAllowed(method, allow), discardBody(req)));
    }
  }
}
