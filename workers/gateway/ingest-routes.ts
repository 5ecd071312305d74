/**
 * The edge ingest handler served by the worker itself: the same web-standard code as the
 * Next.js edge routes, with a direct bus producer (no REST hop) and keys looked up in
 * PostgreSQL (cached briefly). For deployments that want ingest without the web app in the path.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createIngestHandler, type IngestDeps, type IngestHandler, type OutgoingRecord } from "../../edge/ingest";
import { createKeyCache } from "../../edge/key-cache";
import type { PrismaClient } from "../../src/generated/prisma/client";
import { resolveApiKey } from "../../src/platform/resolve-key";
import type { Bus } from "../bus/types";
import type { Routes } from "../http-server";
import { coalesce } from "../coalesce";

/**
 * How much of a refused (too large) body is read and thrown away so the keep-alive connection can
 * serve its next request. A body declared larger is answered with `Connection: close` instead.
 */
export const DRAIN_LIMIT_BYTES = 8 * 1024 * 1024;

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/**
 * The whole body, or null as soon as it is over `limit` bytes (declared or counted). Read here
 * rather than streamed into the handler so the server, not the handler, decides what becomes of
 * the unread rest of the request.
 */
function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      cleanup();
      req.pause();
      resolve(null);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("error", onError);
  });
}

/**
 * For a request answered without reading (all of) its body: discard the rest (up to
 * DRAIN_LIMIT_BYTES) so the connection's next request is read and answered; a body declared
 * larger closes the connection. Returns the headers the answer needs.
 */
function discardBody(req: IncomingMessage): Record<string, string> {
  if (req.complete) return {};
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > DRAIN_LIMIT_BYTES) return { connection: "close" };
  let discarded = 0;
  req.on("data", (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DRAIN_LIMIT_BYTES) req.socket.destroy();
  });
  req.resume();
  return {};
}

function toRequest(req: IncomingMessage, body: Buffer | null): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  // The path only: a hostile Host header must not be able to make the URL unparsable.
  const path = req.url?.startsWith("/") ? req.url : "/";
  return new Request(`http://localhost${path}`, { method: req.method, headers, ...(body ? { body: new Uint8Array(body) } : {}) });
}

async function send(res: ServerResponse, response: Response, extraHeaders: Record<string, string> = {}): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, { ...Object.fromEntries(response.headers), ...extraHeaders, "content-length": String(body.length) });
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
    routes.add(method, path, async (req, res) => {
      const hasBody = method !== "GET" && method !== "HEAD" && method !== "OPTIONS";
      const body = hasBody ? await readLimited(req, handler.limits.maxRequestBytes) : null;
      if (hasBody && body === null) return send(res, handler.payloadTooLarge(), discardBody(req));
      return send(res, await handle(toRequest(req, body)));
    });
  const served: Array<[path: string, methods: Record<string, (request: Request) => Response | Promise<Response>>]> = [
    ["/api/v1/events", { POST: handler.events, OPTIONS: () => handler.preflight() }],
    ["/api/v1/events/batch", { POST: handler.batch, OPTIONS: () => handler.preflight() }],
    ["/api/v1/profiles", { POST: handler.profiles, OPTIONS: () => handler.preflight() }],
    ["/api/v1/health", { GET: () => handler.health() }],
    ["/api/v1/profiles/*", { GET: (request) => handler.profile(request), OPTIONS: () => handler.preflight() }],
  ];
  for (const [path, methods] of served) {
    const allow = Object.keys(methods).join(", ");
    for (const method of METHODS) {
      const handle = methods[method];
      if (handle) mount(method, path, handle);
      // Other methods get 405 without their body being read: nothing of it is needed.
      else routes.add(method, path, (req, res) => send(res, handler.methodNotAllowed(method, allow), discardBody(req)));
    }
  }
}
