/**
 * The public port: the one address clients, browsers and the SDK use. Ingest (POST /api/v1/events,
 * /events/batch, /profiles, their preflights, GET /api/v1/health) is answered here by the worker's
 * own ingest handler, the fast path; everything else (pages, assets, tRPC, sign-in, the REST API
 * under /api/v1, streamed exports, uploads, websockets) is forwarded to the Next.js server.
 *
 * Forwarding is http-proxy-3's: the maintained TypeScript rewrite of http-proxy (which has had no
 * release since 2020), the proxy inside Vite's dev server. It streams both ways (a 100 MB upload
 * or a CSV export never sits in memory here), forwards websocket upgrades, and tells a client's
 * own disconnect (its `econnreset` event) from a failing upstream.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type net from "node:net";
import { createProxyServer } from "http-proxy-3";
import type { IngestHandler } from "../../edge/ingest";
import { clientWentAway, closeServer, createServer, listen, Routes, sendJson } from "../../src/platform/http";
import type { Logger } from "../../src/platform/logger";
import { addIngestRoutes } from "./ingest-routes";

/** A 100 MB import upload on a slow link: Next's import route allows 900 s, so the public port does too. */
const REQUEST_TIMEOUT_MS = 900_000;
/** Forwarding failures while the web app restarts come in bursts: at most one log line per this interval. */
const LOG_EVERY_MS = 5_000;

export interface PublicPort {
  port: number;
  close(): Promise<void>;
}

/**
 * Records who connected, as a proxy in front of Next.js would: the socket's address appended to
 * X-Forwarded-For (the sign-in limit reads the last entry, ingest's context the first), and the
 * Host, protocol and port this request came in on when no proxy in front said so already.
 */
export function addForwardedHeaders(req: IncomingMessage): void {
  const address = req.socket.remoteAddress;
  const forwardedFor = req.headers["x-forwarded-for"];
  if (address) req.headers["x-forwarded-for"] = forwardedFor ? `${forwardedFor}, ${address}` : address;
  req.headers["x-forwarded-host"] ??= req.headers.host;
  req.headers["x-forwarded-proto"] ??= "http";
  req.headers["x-forwarded-port"] ??= String(req.socket.localPort ?? "");
}

export function createPublicServer(opts: { ingest: IngestHandler; webAppUrl: string; log: Logger }): http.Server {
  const { log } = opts;
  // Keep-alive to Next: one connection per concurrent request, reused, not one per request.
  const agent = new http.Agent({ keepAlive: true });
  const proxy = createProxyServer({ target: opts.webAppUrl, agent, xfwd: false, ws: true });

  let lastLogged = 0;
  let unlogged = 0;
  const logFailure = (error: unknown, req: IncomingMessage) => {
    const now = Date.now();
    if (now - lastLogged < LOG_EVERY_MS) return void unlogged++;
    const { code, message } = error as { code?: string; message?: string };
    log.warn(
      { code, error: message, method: req.method, path: req.url?.split("?")[0], alsoFailedSinceLastLine: unlogged },
      "could not forward a request to the web app",
    );
    lastLogged = now;
    unlogged = 0;
  };

  proxy.on("error", (error, req, res) => {
    // The client left (a dropped page load, an aborted upload): nobody to answer, nothing to log.
    if (req.socket.destroyed || ("destroyed" in res && res.destroyed)) return void res.destroy();
    logFailure(error, req);
    if (!isResponse(res) || res.headersSent) return void res.destroy();
    sendJson(res, 502, { error: "web_app_unavailable", message: "The web app is not answering; retry shortly." }, { "retry-after": "2" });
  });
  // An answer the web app breaks off half-way (it restarted during an export) is broken off here
  // too, so the client sees a failed download instead of waiting for the rest.
  proxy.on("proxyRes", (proxyRes, _req, res) => {
    proxyRes.once("close", () => {
      if (!proxyRes.complete) res.destroy();
    });
  });

  const routes = new Routes();
  addIngestRoutes(routes, opts.ingest, { otherMethods: "pass" });
  const server = createServer(
    routes,
    (error) => log.error({ err: error }, "request failed"),
    (req, res) => proxy.web(req, res),
  );
  // Before routing, for both paths: ingest reads the client's address from these headers too.
  server.prependListener("request", addForwardedHeaders);
  server.on("upgrade", (req: IncomingMessage, socket: net.Socket, head: Buffer) => {
    socket.on("error", (error) => {
      if (!clientWentAway(req, error)) logFailure(error, req);
    });
    addForwardedHeaders(req);
    proxy.ws(req, socket, head);
  });
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.once("close", () => agent.destroy());
  return server;
}

function isResponse(res: ServerResponse | net.Socket): res is ServerResponse {
  return "writeHead" in res;
}

/** Listens on host:port (0 picks a free port) and answers the port. */
export async function servePublicPort(opts: { ingest: IngestHandler; webAppUrl: string; log: Logger; host: string; port: number }): Promise<PublicPort> {
  const server = createPublicServer(opts);
  await listen(server, opts.host, opts.port, "set PUBLIC_PORT to another port");
  const address = server.address();
  return { port: typeof address === "object" && address ? address.port : opts.port, close: () => closeServer(server) };
}
