/**
 * The small HTTP layer of Node servers (the worker's endpoints): a route table, JSON answers,
 * request bodies read within a size limit, and the adapter between Node's IncomingMessage and the
 * web-standard Request/Response that the edge handlers speak. node:http is enough for a handful of
 * internal routes; a framework would bring its own body parsing and error handling to work around.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { ConfigError } from "./config-parse";

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/** A route table: exact "METHOD /path" keys, or a prefix ending in "*". */
export class Routes {
  private readonly exact = new Map<string, RouteHandler>();
  private readonly prefixes: Array<[string, RouteHandler]> = [];

  add(method: string, path: string, handler: RouteHandler): this {
    if (path.endsWith("*")) this.prefixes.push([`${method} ${path.slice(0, -1)}`, handler]);
    else this.exact.set(`${method} ${path}`, handler);
    return this;
  }

  find(method: string, path: string): RouteHandler | undefined {
    const key = `${method} ${path}`;
    return this.exact.get(key) ?? this.prefixes.find(([prefix]) => key.startsWith(prefix))?.[1];
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * How much of a refused body is read and thrown away so the keep-alive connection can serve its
 * next request. A body declared larger is answered with `Connection: close` instead.
 */
export const DRAIN_LIMIT_BYTES = 8 * 1024 * 1024;

/**
 * The whole body, or null as soon as it is over `limit` bytes (declared or counted); then the rest
 * is left unread, for `discardBody` or `sendTooLarge`. Read whole rather than streamed into the
 * handler so the server, not the handler, decides what becomes of the unread rest.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
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
export function discardBody(req: IncomingMessage): Record<string, string> {
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

/** 413 with a JSON body, for a request whose body `readBody` refused. */
export function sendTooLarge(req: IncomingMessage, res: ServerResponse, body: unknown): void {
  sendJson(res, 413, body, discardBody(req));
}

/** The web-standard Request for a Node request whose body was read. */
export function toWebRequest(req: IncomingMessage, body: Buffer | null): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  // The path only: a hostile Host header must not be able to make the URL unparsable.
  const path = req.url?.startsWith("/") ? req.url : "/";
  return new Request(`http://localhost${path}`, { method: req.method, headers, ...(body ? { body: new Uint8Array(body) } : {}) });
}

export async function sendWebResponse(res: ServerResponse, response: Response, extraHeaders: Record<string, string> = {}): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, { ...Object.fromEntries(response.headers), ...extraHeaders, "content-length": String(body.length) });
  res.end(body);
}

/**
 * True when the client went away before its request was read or answered: a dropped connection
 * or a truncated body. Nothing is wrong on our side, so such a failure is not logged.
 */
export function clientWentAway(req: IncomingMessage, error: unknown): boolean {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  const abortLike =
    code === "ECONNRESET" || code === "ECONNABORTED" || code === "ERR_STREAM_PREMATURE_CLOSE" || (error instanceof Error && error.message === "aborted");
  return abortLike && (req.destroyed || req.socket.destroyed || !req.complete);
}

/**
 * Serves `routes`: a request no route takes goes to `fallback` (default: 404); a handler that
 * throws is answered 500 (or its response broken, once started), logged unless the client left.
 */
export function createServer(routes: Routes, onError: (error: unknown) => void, fallback?: RouteHandler): http.Server {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const handler = routes.find(req.method ?? "GET", path) ?? fallback;
    if (!handler) return sendJson(res, 404, { error: "not_found", message: `No route for ${req.method} ${path}` });
    // Runs the handler at once; a throw, synchronous or not, becomes a rejection answered here.
    new Promise<void>((resolve) => resolve(handler(req, res))).catch((error: unknown) => {
      if (clientWentAway(req, error)) return void res.destroy();
      onError(error);
      if (!res.headersSent) sendJson(res, 500, { error: "internal", message: "Internal error" });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  return server;
}

/** Listens on host:port; a port in use is a ConfigError, with `hint` saying how to pick another. */
export async function listen(server: http.Server, host: string, port: number, hint = ""): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(error.code === "EADDRINUSE" ? new ConfigError(`Port ${port} on ${host} is already in use${hint ? ` (${hint})` : ""}.`) : error);
    });
    server.listen(port, host, () => resolve());
  });
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
