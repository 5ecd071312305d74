import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { ConfigError } from "../src/platform/config-parse";

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/** A tiny router: exact "METHOD /path" keys, or a prefix ending in "*". */
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

export async function listen(routes: Routes, host: string, port: number, onError: (error: unknown) => void): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const handler = routes.find(req.method ?? "GET", path);
    if (!handler) return sendJson(res, 404, { error: "not_found", message: `No route for ${req.method} ${path}` });
    Promise.resolve(handler(req, res)).catch((error: unknown) => {
      onError(error);
      if (!res.headersSent) sendJson(res, 500, { error: "internal", message: "Internal error" });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(error.code === "EADDRINUSE" ? new ConfigError(`Port ${port} on ${host} is already in use (set WORKER_PORT to another port).`) : error);
    });
    server.listen(port, host, () => resolve());
  });
  return server;
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
