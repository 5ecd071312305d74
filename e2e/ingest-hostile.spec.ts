/**
 * Hostile input at ingest over real sockets, against the production servers e2e/serve.ts starts:
 * the public URL (the worker's public port: ingest there, the rest forwarded to Next), the
 * Next.js app itself (`next start`, its /api/v1 edge routes) and the worker's own HTTP server. The
 * integration suite (edge/hostile-input.int.test.ts) calls the route modules directly; this one
 * goes through Next's own request handling: body buffering, routing, URL decoding, keep-alive.
 */
import http from "node:http";
import net from "node:net";
import { expect, test } from "@playwright/test";
import { DEMO, signIn, trpc } from "./helpers";
import { E2E_WEB_APP_PORT } from "./ports";

/** The worker's own ingest endpoint (the same edge handler as the app's /api/v1 routes). */
const WORKER_URL = `http://127.0.0.1:${process.env.E2E_WORKER_PORT ?? 4210}`;
/** `next start` itself, behind the public port: its /api/v1 routes are what edge deployments run. */
const WEB_APP_URL = `http://127.0.0.1:${E2E_WEB_APP_PORT}`;
/** Over the 500 KB request limit. */
const OVER_LIMIT = 600 * 1024;
/** "Promptly": generous for a loaded 2-core machine, far below any client's timeout. */
const PROMPT_MS = 5_000;

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface Sent {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

let apiKey = "";

const valid = (id: string) => ({ event_name: "hostile_ok", event_id: `${id}-${Date.now()}`, profile_id: "h-1", props: { n: 1 } });

/** One request on its own connection through node:http; the path is sent byte for byte. */
function send(origin: string, { method, path, headers = {}, body }: Sent): Promise<Answer> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: hostname,
        port,
        method,
        path,
        agent: false,
        timeout: 30_000,
        headers: {
          "content-type": "application/json",
          "x-api-key": apiKey,
          ...headers,
          ...(body !== undefined ? { "content-length": Buffer.byteLength(body) } : {}),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const flat = Object.fromEntries(Object.entries(response.headers).map(([name, value]) => [name, String(value)]));
          resolve({ status: response.statusCode ?? 0, headers: flat, body: Buffer.concat(chunks).toString("utf8") });
        });
      },
    );
    request.on("timeout", () => request.destroy(new Error(`${method} ${path}: no answer within 30 s`)));
    request.on("error", reject);
    request.end(body);
  });
}

/** The first HTTP/1.1 answer at the front of `data` (Content-Length or chunked), or null while incomplete. */
function parseAnswer(data: Buffer): { answer: Answer; rest: Buffer } | null {
  const headEnd = data.indexOf("\r\n\r\n");
  if (headEnd < 0) return null;
  const [statusLine = "", ...lines] = data.subarray(0, headEnd).toString("latin1").split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) headers[line.slice(0, line.indexOf(":")).trim().toLowerCase()] = line.slice(line.indexOf(":") + 1).trim();
  const status = Number(statusLine.split(" ")[1]);
  let offset = headEnd + 4;
  if (headers["transfer-encoding"]?.includes("chunked")) {
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = data.indexOf("\r\n", offset);
      if (lineEnd < 0) return null;
      const size = parseInt(data.subarray(offset, lineEnd).toString("latin1"), 16);
      if (data.length < lineEnd + 2 + size + 2) return null;
      parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
      offset = lineEnd + 2 + size + 2;
      if (size === 0) break;
    }
    return { answer: { status, headers, body: Buffer.concat(parts).toString("utf8") }, rest: data.subarray(offset) };
  }
  const length = Number(headers["content-length"] ?? 0);
  if (data.length < offset + length) return null;
  return { answer: { status, headers, body: data.subarray(offset, offset + length).toString("utf8") }, rest: data.subarray(offset + length) };
}

/** A raw TCP connection speaking HTTP/1.1 by hand: requests are written as bytes, answers read one at a time. */
class RawConnection {
  private data: Buffer = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.data = Buffer.concat([this.data, chunk]);
      this.wake?.();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake?.();
    });
    // A server may close while a refused body is still being written; the answer is what counts.
    socket.on("error", () => undefined);
  }

  static async open(origin: string): Promise<RawConnection> {
    const { hostname, port } = new URL(origin);
    const socket = net.connect(Number(port), hostname);
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    return new RawConnection(socket);
  }

  write(data: string): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** The next complete answer; throws when none arrives within `timeoutMs` or the server hangs up first. */
  async answer(timeoutMs: number): Promise<Answer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = parseAnswer(this.data);
      if (parsed) {
        this.data = parsed.rest;
        return parsed.answer;
      }
      if (this.closed) throw new Error("the server closed the connection without a complete answer");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

function head(method: string, path: string, framing: string): string {
  return `${method} ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\nx-api-key: ${apiKey}\r\n${framing}\r\n`;
}

function chunk(text: string): string {
  return `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
}

/** A 4xx answer a program can act on: a JSON body whose `error` is a string. */
function expectError(answer: Answer, status: number) {
  expect(answer.status, answer.body.slice(0, 300)).toBe(status);
  expect(typeof (JSON.parse(answer.body) as { error?: unknown }).error, answer.body.slice(0, 300)).toBe("string");
}

test.beforeAll(async ({ browser }) => {
  test.setTimeout(180_000);
  const page = await browser.newPage({ baseURL: test.info().project.use.baseURL });
  await signIn(page, DEMO.email, DEMO.password);
  const organizations = await trpc<Array<{ id: string }>>(page, "organizations.list", null, "query");
  const project = await trpc<{ id: string }>(page, "projects.create", { orgId: organizations[0]!.id, name: `Hostile ${Date.now()}` });
  apiKey = (await trpc<{ secret: string }>(page, "apiKeys.create", { projectId: project.id, name: "hostile" })).secret;
  await page.close();
});

const TARGETS = [
  // GET /api/v1/profiles/:id is the app's REST API (read keys): the public URL forwards it to Next;
  // the worker's own port serves ingest only.
  { name: "the public URL (the worker's public port)", origin: () => test.info().project.use.baseURL!, readsProfiles: true },
  { name: "the Next.js server (next start)", origin: () => WEB_APP_URL, readsProfiles: true },
  { name: "the worker's HTTP server", origin: () => WORKER_URL, readsProfiles: false },
];

for (const target of TARGETS) {
  test.describe(`ingest on ${target.name}`, () => {
    test.beforeAll(async () => {
      // Each Next edge route loads on its first request, and the key's first lookup is not cached:
      // warm both, so the timed cases measure the answer and not a cold start.
      const origin = target.origin();
      await expect(async () => {
        expect((await send(origin, { method: "POST", path: "/api/v1/events", body: JSON.stringify(valid("warm")) })).status).toBe(202);
      }).toPass({ timeout: 60_000 });
      expect((await send(origin, { method: "POST", path: "/api/v1/events/batch", body: JSON.stringify([valid("warm-batch")]) })).status).toBe(202);
      for (const path of ["/api/v1/profiles", "/api/v1/nope"]) await send(origin, { method: "GET", path });
    });

    /** Writes a chunked batch over the limit; `finish`: with its last chunk, else the client keeps sending. */
    async function chunkedOverLimit(finish: boolean): Promise<{ answer: Answer; ms: number }> {
      const piece = "x".repeat(64 * 1024);
      const connection = await RawConnection.open(target.origin());
      let trickle: ReturnType<typeof setInterval> | undefined;
      try {
        connection.write(head("POST", "/api/v1/events/batch", "transfer-encoding: chunked\r\n"));
        connection.write(chunk(`[{"event_name":"big","props":{"pad":"`));
        for (let sent = 0; sent < OVER_LIMIT; sent += piece.length) connection.write(chunk(piece));
        if (finish) connection.write(chunk(`"}}]`) + "0\r\n\r\n");
        else trickle = setInterval(() => connection.write(chunk("x".repeat(1024))), 200);
        const started = Date.now();
        const answer = await connection.answer(PROMPT_MS);
        return { answer, ms: Date.now() - started };
      } finally {
        clearInterval(trickle);
        connection.close();
      }
    }

    test("a chunked body over 500 KB is answered at once with 413 and an error", async () => {
      const { answer, ms } = await chunkedOverLimit(true);
      expectError(answer, 413);
      expect(JSON.parse(answer.body)).toMatchObject({ error: "payload_too_large" });
      expect(ms).toBeLessThan(PROMPT_MS);
    });

    test("a chunked body that passes 500 KB is answered with 413 while the client is still sending", async () => {
      const { answer, ms } = await chunkedOverLimit(false);
      expectError(answer, 413);
      expect(ms).toBeLessThan(PROMPT_MS);
    });

    test("a declared body over the limit gets 413, and the keep-alive connection answers its next request", async () => {
      const connection = await RawConnection.open(target.origin());
      try {
        const big = `{"event_name":"big","props":{"pad":"${"x".repeat(OVER_LIMIT)}"}}`;
        connection.write(head("POST", "/api/v1/events", `content-length: ${big.length}\r\n`) + big);
        const refused = await connection.answer(PROMPT_MS);
        expectError(refused, 413);
        const next = JSON.stringify(valid("after-413"));
        connection.write(head("POST", "/api/v1/events", `content-length: ${next.length}\r\n`) + next);
        const accepted = await connection.answer(PROMPT_MS);
        expect(accepted.status, accepted.body).toBe(202);
        expect(JSON.parse(accepted.body)).toMatchObject({ status: "accepted" });
      } finally {
        connection.close();
      }
    });

    test("a malformed escape in the profile path is a 400 with an error (404 where no profile is read), never a 500", async () => {
      const answer = await send(target.origin(), { method: "GET", path: "/api/v1/profiles/%ZZ" });
      expectError(answer, target.readsProfiles ? 400 : 404);
      expect(JSON.parse(answer.body)).toMatchObject({ error: target.readsProfiles ? "malformed" : "not_found" });
    });

    test("the write key, public in browsers, never reads a profile back", async () => {
      const inHeader = await send(target.origin(), { method: "GET", path: "/api/v1/profiles/h-1" });
      expectError(inHeader, target.readsProfiles ? 401 : 404);
      const asBearer = await send(target.origin(), { method: "GET", path: "/api/v1/profiles/h-1", headers: { authorization: `Bearer ${apiKey}` } });
      expectError(asBearer, target.readsProfiles ? 403 : 404);
      expect(asBearer.body).not.toContain('"props"');
    });

    test("a malformed escape in x-vercel-ip-city does not stop a valid event (202)", async () => {
      const answer = await send(target.origin(), {
        method: "POST",
        path: "/api/v1/events",
        headers: { "x-vercel-ip-city": "%ZZ" },
        body: JSON.stringify(valid("city")),
      });
      expect(answer.status, answer.body).toBe(202);
    });

    test("an API key of 300 characters is refused as unknown (401)", async () => {
      const answer = await send(target.origin(), {
        method: "POST",
        path: "/api/v1/events",
        headers: { "x-api-key": "k".repeat(300) },
        body: JSON.stringify(valid("long-key")),
      });
      expectError(answer, 401);
      expect(JSON.parse(answer.body)).toMatchObject({ error: "unauthorized" });
    });

    test("10,000 levels of nesting are refused with an error (400, 422); a valid event beside 60,000 levels is kept (207)", async () => {
      const origin = target.origin();
      const arrays = await send(origin, { method: "POST", path: "/api/v1/events", body: "[".repeat(10_000) + "]".repeat(10_000) });
      // An array is not an event (400); an event whose props nest too deep is refused by the plan (422).
      expectError(arrays, 400);
      const props = await send(origin, {
        method: "POST",
        path: "/api/v1/events",
        body: `{"event_name":"deep","props":${'{"a":'.repeat(10_000)}1${"}".repeat(10_000)}}`,
      });
      expectError(props, 422);
      const batch = await send(origin, {
        method: "POST",
        path: "/api/v1/events/batch",
        body: `[${JSON.stringify(valid("beside-deep"))},${"[".repeat(60_000)}${"]".repeat(60_000)}]`,
      });
      expect(batch.status, batch.body.slice(0, 300)).toBe(207);
      expect(JSON.parse(batch.body)).toMatchObject({ status: "partial", accepted: 1, refused: 1, errors: [expect.objectContaining({ index: 1 })] });
    });

    test("a wrong method is 405 with an error and Allow; an unknown path is 404 with an error", async () => {
      const origin = target.origin();
      // GET /api/v1/events is the REST API's event list on the Next server; the batch route is ingest only on both.
      const get = await send(origin, { method: "GET", path: "/api/v1/events/batch" });
      expectError(get, 405);
      expect(get.headers.allow).toBe("POST, OPTIONS");
      const remove = await send(origin, { method: "DELETE", path: "/api/v1/profiles" });
      expectError(remove, 405);
      expect(remove.headers.allow).toBe("POST, OPTIONS");
      const unknown = await send(origin, { method: "GET", path: "/api/v1/nope" });
      expectError(unknown, 404);
      expect(JSON.parse(unknown.body)).toMatchObject({ error: "not_found" });
    });

    test("malformed and truncated JSON are 400 with an error", async () => {
      const origin = target.origin();
      const malformed = await send(origin, { method: "POST", path: "/api/v1/events", body: "{not json" });
      expectError(malformed, 400);
      const truncated = await send(origin, { method: "POST", path: "/api/v1/events/batch", body: '[{"event_name":"x","props":{"a":' });
      expectError(truncated, 400);
      expect(JSON.parse(truncated.body)).toMatchObject({ error: "malformed" });
    });
  });
}
