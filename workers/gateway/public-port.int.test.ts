/**
 * The public port over real sockets: a worker (role gateway, real Kafka, real PostgreSQL) with
 * PUBLIC_PORT set, in front of a stand-in web app that records what reaches it. Ingest is answered
 * by the worker and never reaches the web app; everything else (REST routes under /api/v1, pages,
 * other methods on ingest paths, uploads, streamed answers, websockets) does, with the forwarding
 * headers the app reads. Clients that drop requests crash nothing and log nothing.
 * (e2e/ingest-hostile.spec.ts runs the same public port in front of the real `next start`.)
 */
import http, { type IncomingMessage } from "node:http";
import net from "node:net";
import { Writable } from "node:stream";
import { Kafka, logLevel } from "kafkajs";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestApp, type TestApp } from "../../src/testing/app";
import { workerEnv } from "../env";
import { startWorker, type RunningWorker } from "../main";

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  /** How the request ended: its whole body read, or the client gone first. */
  ended?: "complete" | "aborted";
  bytes: number;
}

/** The stand-in for `next start`: records each request; /upload counts its body, /stream answers in two parts. */
function startWebApp() {
  const seen: Seen[] = [];
  let firstUploadChunk: () => void = () => undefined;
  const uploadStarted = new Promise<void>((resolve) => (firstUploadChunk = resolve));
  let releaseStream: () => void = () => undefined;
  const streamReleased = new Promise<void>((resolve) => (releaseStream = resolve));
  let streamClosed: () => void = () => undefined;
  const streamClientGone = new Promise<void>((resolve) => (streamClosed = resolve));
  const server = http.createServer((req, res) => {
    const entry: Seen = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, bytes: 0 };
    seen.push(entry);
    req.on("data", (chunk: Buffer) => {
      entry.bytes += chunk.length;
      if (req.url === "/upload") firstUploadChunk();
    });
    req.on("end", () => (entry.ended = "complete"));
    req.on("close", () => (entry.ended ??= "aborted"));
    req.on("error", () => undefined);
    if (req.url?.startsWith("/stream")) {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.write('{"part":1}\n');
      res.on("close", () => streamClosed());
      void streamReleased.then(() => res.end('{"part":2}\n'));
      return;
    }
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ servedBy: "web", method: req.method, url: req.url, bytes: entry.bytes }));
    });
  });
  server.on("upgrade", (_req, socket: net.Socket) => {
    socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
    socket.pipe(socket);
  });
  return { server, seen, uploadStarted, releaseStream, streamClientGone };
}

type WebApp = ReturnType<typeof startWebApp>;

let app: TestApp;
let web: WebApp;
let webUrl: string;
let worker: RunningWorker;
let publicUrl: string;
let apiKey: string;
let projectId: string;
const logLines: Array<{ level: number; msg: string }> = [];

function listenOnFreePort(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)));
}

async function send(path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const res = await fetch(`${publicUrl}${path}`, {
    ...init,
    redirect: "manual",
    headers: { "content-type": "application/json", "x-api-key": apiKey, ...init.headers },
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Writes raw bytes on a fresh connection to the public port and resolves once it is open. */
function rawConnection(): Promise<net.Socket> {
  const { hostname, port } = new URL(publicUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => resolve(socket));
    socket.on("error", reject);
  });
}

/** Records on event.raw mentioning this test's project, read from the beginning. */
async function recordsOnRaw(expected: number): Promise<Array<Record<string, unknown>>> {
  const kafka = new Kafka({ clientId: "public-port-test", brokers: inject("kafkaBrokers").split(","), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `public-port-test-${Date.now()}`, maxWaitTimeInMs: 200 });
  const found: Array<Record<string, unknown>> = [];
  await consumer.connect();
  await consumer.subscribe({ topic: "event.raw", fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const value = message.value?.toString("utf8") ?? "";
      if (value.includes(projectId)) found.push(JSON.parse(value) as Record<string, unknown>);
    },
  });
  const deadline = Date.now() + 30_000;
  while (found.length < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  await consumer.disconnect();
  return found;
}

beforeAll(async () => {
  app = await createTestApp();
  const { user, orgId } = await app.signUp("public-port@example.com");
  const caller = app.caller(user);
  projectId = (await caller.projects.create({ orgId, name: "Public port" })).id;
  apiKey = (await caller.apiKeys.create({ projectId, name: "ingest" })).secret;

  web = startWebApp();
  webUrl = `http://127.0.0.1:${await listenOnFreePort(web.server)}`;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) logLines.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  worker = await startWorker(
    workerEnv({
      PRISM_ROLE: "gateway",
      DATABASE_URL: app.url,
      KAFKA_BROKERS: inject("kafkaBrokers"),
      WORKER_PORT: "0",
      PUBLIC_PORT: "0",
      WEB_APP_URL: webUrl,
    }),
    pino({ level: "info" }, sink),
  );
  publicUrl = `http://127.0.0.1:${worker.publicPort}`;
});

afterAll(async () => {
  await worker?.stop();
  web?.server.closeAllConnections();
  await new Promise((resolve) => web?.server.close(resolve));
  await app?.close();
});

/** Warnings and errors logged by the worker since `from`. */
const complaintsSince = (from: number) => logLines.slice(from).filter((line) => line.level >= 40);

describe("the public port", () => {
  it("answers ingest in the worker, never the web app, and records the client's address as Next did", async () => {
    const event = await send("/api/v1/events", { method: "POST", body: JSON.stringify({ event_name: "signup", profile_id: "p-1" }) });
    expect(event.status).toBe(202);
    const batch = await send("/api/v1/events/batch?trace=1", { method: "POST", body: JSON.stringify([{ event_name: "page_view", profile_id: "p-1" }]) });
    expect(batch.status).toBe(202);
    const profile = await send("/api/v1/profiles", { method: "POST", body: JSON.stringify({ profile_id: "p-1", set: { plan: "pro" } }) });
    expect(profile.status).toBe(202);
    expect((await send("/api/v1/events", { method: "OPTIONS" })).status).toBeLessThan(300);
    expect((await send("/api/v1/health")).status).toBe(200);
    expect(web.seen).toEqual([]);

    const events = (await recordsOnRaw(3)).filter((record) => record.type === "event");
    expect(events.map((event) => event.event_name).sort()).toEqual(["page_view", "signup"]);
    // Next sets X-Forwarded-For to the socket's address when absent; the public port appends it.
    for (const event of events) expect(event.ctx).toMatchObject({ ip: "127.0.0.1" });
  });

  it("forwards the REST API under /api/v1, pages and other methods on ingest paths to the web app, with forwarding headers", async () => {
    web.seen.length = 0;
    const sent: Array<[method: string, path: string]> = [
      ["GET", "/api/v1/events?project_id=p&limit=5"],
      ["GET", "/api/v1/events/evt-1"],
      ["GET", "/api/v1/profiles/p-1"],
      ["POST", "/api/v1/reports/trend"],
      ["GET", "/api/v1/openapi.json"],
      ["GET", "/api/v1/nope"],
      ["DELETE", "/api/v1/events"],
      ["GET", "/api/v1/events/batch"],
      ["HEAD", "/api/v1/health"],
      ["GET", "/projects/abc/events"],
      ["POST", "/api/trpc/projects.list?batch=1"],
    ];
    for (const [method, path] of sent) {
      const answer = await send(path, { method, ...(method === "POST" ? { body: "{}" } : {}), headers: { "x-forwarded-for": "198.51.100.7" } });
      expect(answer.status, `${method} ${path}`).toBe(200);
    }
    expect(web.seen.map((request) => [request.method, request.url])).toEqual(sent);
    const { host } = new URL(publicUrl);
    for (const request of web.seen) {
      expect(request.headers).toMatchObject({
        host,
        "x-forwarded-for": "198.51.100.7, 127.0.0.1",
        "x-forwarded-host": host,
        "x-forwarded-proto": "http",
      });
    }
  });

  it("streams an upload through to the web app as it arrives, and a streamed answer back as it is written", async () => {
    const chunk = Buffer.alloc(1024 * 1024, 97);
    const upload = http.request(`${publicUrl}/upload`, { method: "POST", headers: { "content-type": "text/csv" } });
    const answered = new Promise<string>((resolve, reject) => {
      upload.on("response", (res) => {
        let text = "";
        res.on("data", (part: Buffer) => (text += part.toString()));
        res.on("end", () => resolve(text));
      });
      upload.on("error", reject);
    });
    upload.write(chunk);
    // The web app has the first megabyte while the client still holds the rest: nothing buffers it whole.
    await web.uploadStarted;
    for (let i = 0; i < 20; i++) upload.write(chunk);
    upload.end();
    expect(JSON.parse(await answered)).toMatchObject({ servedBy: "web", bytes: 21 * chunk.length });

    const res = await fetch(`${publicUrl}/stream/export`);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('{"part":1}\n');
    // The first part arrived before the web app wrote the second.
    web.releaseStream();
    let rest = "";
    for (let part = await reader.read(); !part.done; part = await reader.read()) rest += new TextDecoder().decode(part.value);
    expect(rest).toBe('{"part":2}\n');
  });

  it("forwards websocket upgrades", async () => {
    const socket = await rawConnection();
    socket.write("GET /_next/webpack-hmr HTTP/1.1\r\nHost: prism.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    let received = "";
    socket.on("data", (data: Buffer) => {
      received += data.toString();
      if (received.includes("\r\n\r\n") && !received.includes("ping")) socket.write("ping");
    });
    await expect.poll(() => received, { timeout: 10_000 }).toMatch(/^HTTP\/1\.1 101[\s\S]*ping$/);
    socket.destroy();
  });

  it("survives clients that drop requests (truncated ingest body, aborted upload, closed download) without a log line", async () => {
    const from = logLines.length;
    web.seen.length = 0;

    const truncated = await rawConnection();
    truncated.write(
      `POST /api/v1/events HTTP/1.1\r\nHost: prism.test\r\nX-API-Key: ${apiKey}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"event_name":`,
    );
    truncated.destroy();

    const upload = await rawConnection();
    upload.write("POST /upload HTTP/1.1\r\nHost: prism.test\r\nContent-Type: text/csv\r\nContent-Length: 10000000\r\n\r\n");
    upload.write(Buffer.alloc(64 * 1024, 98));
    await expect.poll(() => web.seen.find((request) => request.url === "/upload")?.bytes ?? 0, { timeout: 10_000 }).toBeGreaterThan(0);
    upload.destroy();
    // The web app sees the upload end early, as it would have from the client itself.
    await expect.poll(() => web.seen.find((request) => request.url === "/upload")?.ended, { timeout: 10_000 }).toBe("aborted");

    const download = await rawConnection();
    download.write("GET /stream/again HTTP/1.1\r\nHost: prism.test\r\n\r\n");
    await new Promise((resolve) => download.once("data", resolve));
    download.destroy();
    await web.streamClientGone;

    expect((await send("/api/v1/events", { method: "POST", body: JSON.stringify({ event_name: "after", profile_id: "p-2" }) })).status).toBe(202);
    expect((await send("/projects")).status).toBe(200);
    expect(complaintsSince(from)).toEqual([]);
  });

  it("answers 502 with a machine-readable error and Retry-After while the web app is down; ingest goes on", async () => {
    web.server.closeAllConnections();
    await new Promise((resolve) => web.server.close(resolve));
    const down = await send("/projects");
    expect(down.status).toBe(502);
    expect(down.json).toMatchObject({ error: "web_app_unavailable" });
    expect(down.headers.get("retry-after")).toBe("2");
    expect((await send("/api/v1/events", { method: "POST", body: JSON.stringify({ event_name: "still", profile_id: "p-3" }) })).status).toBe(202);
  });

  it("refuses PUBLIC_PORT without WEB_APP_URL, or on a role without ingest, in one line", async () => {
    const base = { DATABASE_URL: app.url, KAFKA_BROKERS: inject("kafkaBrokers"), WORKER_PORT: "0", PUBLIC_PORT: "0", LOG_LEVEL: "silent" };
    await expect(startWorker(workerEnv({ ...base, PRISM_ROLE: "gateway" }))).rejects.toThrow(/PUBLIC_PORT needs WEB_APP_URL/);
    await expect(startWorker(workerEnv({ ...base, PRISM_ROLE: "processor", WEB_APP_URL: webUrl }))).rejects.toThrow(
      /PUBLIC_PORT needs a role that serves ingest/,
    );
  });
});
