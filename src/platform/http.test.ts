import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeServer, createServer, listen, readBody, Routes, sendJson, sendTooLarge, sendWebResponse, toWebRequest } from "./http";

const LIMIT = 16;
let server: http.Server;
let base: string;

beforeAll(async () => {
  const routes = new Routes()
    .add("POST", "/echo", async (req, res) => {
      const body = await readBody(req, LIMIT);
      if (body === null) return sendTooLarge(req, res, { error: "payload_too_large" });
      sendJson(res, 200, { got: body.toString("utf8") });
    })
    .add("POST", "/web/*", async (req, res) => {
      const request = toWebRequest(req, await readBody(req, LIMIT));
      await sendWebResponse(res, new Response(`${request.method} ${new URL(request.url).pathname} ${await request.text()}`, { status: 201 }));
    })
    .add("GET", "/fail", () => {
      throw new Error("on purpose");
    });
  server = createServer(routes, () => undefined);
  await listen(server, "127.0.0.1", 0);
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => closeServer(server));

/** Sends on one keep-alive connection, so a refused body must not spoil the next request. */
function post(agent: http.Agent, path: string, body: string, chunked = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method: "POST", agent, headers: chunked ? {} : { "content-length": Buffer.byteLength(body) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    if (chunked) for (const part of body.match(/.{1,8}/g) ?? []) req.write(part);
    else req.write(body);
    req.end();
  });
}

describe("the HTTP layer", () => {
  it("reads a body within the limit and answers JSON", async () => {
    const response = await fetch(`${base}/echo`, { method: "POST", body: "hello" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual({ got: "hello" });
  });

  it("answers 413 for a body over the limit, declared or chunked, and then the connection's next request", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect(await post(agent, "/echo", "x".repeat(LIMIT + 1))).toEqual({ status: 413, body: '{"error":"payload_too_large"}' });
      expect((await post(agent, "/echo", "y".repeat(200), true)).status).toBe(413);
      expect(await post(agent, "/echo", "ok")).toEqual({ status: 200, body: '{"got":"ok"}' });
    } finally {
      agent.destroy();
    }
  });

  it("passes a request to a web-standard handler and its Response back", async () => {
    const response = await fetch(`${base}/web/a/b?q=1`, { method: "POST", body: "body" });
    expect(response.status).toBe(201);
    expect(await response.text()).toBe("POST /web/a/b body");
  });

  it("answers 404 for an unknown route and 500 for a handler that throws", async () => {
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
    expect((await fetch(`${base}/echo`)).status).toBe(404);
    const failed = await fetch(`${base}/fail`);
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ error: "internal", message: "Internal error" });
  });
});
