/**
 * The edge ingest handler served by the worker itself: the same web-standard code as the
 * Next.js edge routes, with a direct bus producer (no REST hop) and keys looked up in
 * PostgreSQL (cached briefly). For deployments that want ingest without the web app in the path.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { createIngestHandler, type IngestDeps, type IngestHandler, type OutgoingRecord } from "../../edge/ingest";
import { createKeyCache } from "../../edge/key-cache";
import type { PrismaClient } from "../../src/generated/prisma/client";
import { resolveApiKey } from "../../src/server/resolve-key";
import type { Bus } from "../bus/types";
import type { Routes } from "../http-server";
import { coalesce } from "../coalesce";

function toRequest(req: IncomingMessage): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD" && req.method !== "OPTIONS";
  return new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, {
    method: req.method,
    headers,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: "half" } : {}),
  } as RequestInit);
}

async function send(res: ServerResponse, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, { ...Object.fromEntries(response.headers), "content-length": String(body.length) });
  res.end(body);
}

export function createWorkerIngest(opts: { bus: Bus; db: PrismaClient; keyCacheMs?: number; readProfile?: IngestDeps["readProfile"] }): IngestHandler {
  // Concurrent requests share one durable write instead of queueing behind each other.
  const produce = coalesce<OutgoingRecord>(async (records) => {
    await opts.bus.produce(records.map((record) => ({ topic: record.topic, key: record.key, value: record.value, headers: record.headers })));
  });
  return createIngestHandler({
    resolveKey: createKeyCache((key) => resolveApiKey(opts.db, key), opts.keyCacheMs ?? 10_000),
    produce,
    ...(opts.readProfile ? { readProfile: opts.readProfile } : {}),
  });
}

export function addIngestRoutes(routes: Routes, handler: IngestHandler): void {
  const mount = (method: string, path: string, handle: (request: Request) => Response | Promise<Response>) =>
    routes.add(method, path, async (req, res) => send(res, await handle(toRequest(req))));
  mount("POST", "/api/v1/events", handler.events);
  mount("POST", "/api/v1/events/batch", handler.batch);
  mount("POST", "/api/v1/profiles", handler.profiles);
  mount("GET", "/api/v1/health", () => handler.health());
  mount("GET", "/api/v1/profiles/*", (request) => {
    const id = new URL(request.url).pathname.slice("/api/v1/profiles/".length);
    let profileId: string;
    try {
      profileId = decodeURIComponent(id);
    } catch {
      profileId = "";
    }
    return handler.profile(request, profileId);
  });
  for (const path of ["/api/v1/events", "/api/v1/events/batch", "/api/v1/profiles"]) mount("OPTIONS", path, () => handler.preflight());
}
