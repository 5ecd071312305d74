/** The worker's HTTP server, on src/platform/http.ts: its routes on WORKER_HOST:WORKER_PORT. */
import type http from "node:http";
import { createServer, listen as listenOn, type Routes } from "../src/platform/http";

export { closeServer, Routes, sendJson, type RouteHandler } from "../src/platform/http";

export async function listen(routes: Routes, host: string, port: number, onError: (error: unknown) => void): Promise<http.Server> {
  const server = createServer(routes, onError);
  await listenOn(server, host, port, "set WORKER_PORT to another port");
  return server;
}
