import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { workerEnv } from "../env";
import { AllowList, checkWebhookTarget, sendWebhook, type Resolver } from "./webhook-send";
import { startReceiver, type TestReceiver } from "./webhook-testing";

let hook: TestReceiver;
let other: TestReceiver;
const url = (path = "/hook") => hook.url(path);
const send = (target: string, allow: string[] = ["127.0.0.1"], resolve?: Resolver, timeoutMs = 2000) =>
  sendWebhook({ url: target, body: '{"ok":true}', headers: { "webhook-id": "msg_1" }, allow: new AllowList(allow), timeoutMs, resolve });

beforeAll(async () => {
  [hook, other] = await Promise.all([startReceiver(), startReceiver()]);
});
afterAll(async () => {
  await Promise.all([hook?.close(), other?.close()]);
});
beforeEach(() => {
  hook.received.length = 0;
  other.received.length = 0;
  hook.answer((_req, res) => res.writeHead(204).end());
});

describe("sendWebhook", () => {
  it("POSTs the JSON body with the given headers to an allow-listed receiver", async () => {
    const outcome = await send(url());
    expect(outcome).toMatchObject({ result: "delivered", statusCode: 204, error: null });
    expect(hook.received).toEqual([
      expect.objectContaining({
        method: "POST",
        url: "/hook",
        body: '{"ok":true}',
        headers: expect.objectContaining({ "content-type": "application/json", "webhook-id": "msg_1" }),
      }),
    ]);
  });

  it.each([
    ["loopback not allow-listed", () => url(), "loopback"],
    ["a private address", () => "http://10.0.0.1/hook", "private"],
    ["the cloud metadata address", () => "http://169.254.169.254/latest/meta-data", "link-local"],
    ["IPv6 loopback", () => `http://[::1]:${hook.port()}/hook`, "loopback"],
    ["IPv4-mapped IPv6 loopback", () => `http://[::ffff:127.0.0.1]:${hook.port()}/hook`, "loopback"],
    ["a name resolving to loopback", () => `http://localhost:${hook.port()}/hook`, "localhost resolves to"],
  ])("refuses %s without connecting", async (_name, target, reason) => {
    const outcome = await send(target(), []);
    expect(outcome).toMatchObject({ result: "refused", retryable: false, statusCode: null, error: expect.stringContaining(reason) });
    expect(outcome.error).toContain("WEBHOOK_ALLOW_HOSTS");
    expect(hook.received).toHaveLength(0);
  });

  it("calls a private target that the allow list names by host name, address or CIDR", async () => {
    expect((await send(`http://localhost:${hook.port()}/a`, ["localhost"])).result).toBe("delivered");
    expect((await send(url("/b"), ["127.0.0.0/8"])).result).toBe("delivered");
    expect((await send(url("/c"), ["127.0.0.1"])).result).toBe("delivered");
    expect(hook.received.map((r) => r.url)).toEqual(["/a", "/b", "/c"]);
  });

  it("connects to the address it checked, not to a second DNS answer", async () => {
    let lookups = 0;
    const resolve: Resolver = async () => {
      lookups++;
      return [{ address: "127.0.0.1", family: 4 }];
    };
    // hooks.invalid cannot resolve through the system; reaching the receiver proves the checked address was used.
    const outcome = await send(`http://hooks.invalid:${hook.port()}/checked`, ["127.0.0.1"], resolve);
    expect(outcome.result).toBe("delivered");
    expect(lookups).toBe(1);
    expect(hook.received[0]?.headers.host).toBe(`hooks.invalid:${hook.port()}`);
  });

  it("refuses a name if any of its addresses is private", async () => {
    const resolve: Resolver = async () => [
      { address: "93.184.216.34", family: 4 },
      { address: "10.1.2.3", family: 4 },
    ];
    const check = await checkWebhookTarget("mixed.example", new AllowList([]), resolve);
    expect(check).toEqual({ ok: false, refused: true, reason: expect.stringContaining("mixed.example resolves to 10.1.2.3") });
  });

  it("counts a hanging DNS lookup against the timeout", async () => {
    const hanging: Resolver = () => new Promise(() => undefined);
    const outcome = await send("http://slow-dns.example/hook", [], hanging, 200);
    expect(outcome).toMatchObject({ result: "failed", retryable: true, error: "resolving slow-dns.example timed out after 200 ms" });
  });

  it("reports a name that does not resolve as a retryable failure", async () => {
    const outcome = await send("http://does-not-exist.invalid/hook", []);
    expect(outcome).toMatchObject({ result: "failed", retryable: true, error: expect.stringContaining("could not resolve does-not-exist.invalid") });
  });

  it("does not follow a redirect, least of all to a private address", async () => {
    hook.answer((_req, res) => res.writeHead(307, { location: `http://127.0.0.1:${other.port()}/internal` }).end());
    const outcome = await send(url(), ["127.0.0.1"]);
    expect(outcome).toMatchObject({ result: "failed", retryable: true, statusCode: 307, error: expect.stringContaining("redirects are not followed") });
    expect(other.received).toHaveLength(0);
  });

  it("times out a receiver that does not answer", async () => {
    hook.answer(() => undefined);
    const outcome = await send(url(), ["127.0.0.1"], undefined, 300);
    expect(outcome).toMatchObject({ result: "failed", retryable: true, statusCode: null, error: "timed out after 300 ms" });
    expect(outcome.latencyMs).toBeGreaterThanOrEqual(290);
    expect(outcome.latencyMs).toBeLessThan(2000);
  });

  it("reports 410 as gone and other statuses with a short, single-line body", async () => {
    hook.answer((_req, res) => res.writeHead(410).end());
    expect(await send(url())).toMatchObject({ result: "gone", retryable: false, statusCode: 410 });
    hook.answer((_req, res) => res.writeHead(500).end(`boom\n${"x".repeat(5000)}`));
    const failed = await send(url());
    expect(failed).toMatchObject({ result: "failed", retryable: true, statusCode: 500 });
    expect(failed.error).toMatch(/^HTTP 500: boom x+…$/);
    expect(failed.error!.length).toBeLessThan(260);
  });

  it("refuses URLs that are not http(s) or carry credentials", async () => {
    expect(await send("file:///etc/passwd")).toMatchObject({ result: "refused" });
    expect(await send(`http://u:p@127.0.0.1:${hook.port()}/`)).toMatchObject({ result: "refused", error: expect.stringContaining("credentials") });
    expect(hook.received).toHaveLength(0);
  });
});

describe("WEBHOOK_ALLOW_HOSTS", () => {
  const env = (value?: string) => workerEnv({ DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/prism", WEBHOOK_ALLOW_HOSTS: value });

  it("is empty by default and reads host names, IPs and CIDRs", () => {
    expect(env().WEBHOOK_ALLOW_HOSTS).toEqual([]);
    expect(env(" 127.0.0.1, hooks.internal ,10.0.0.0/8,::1").WEBHOOK_ALLOW_HOSTS).toEqual(["127.0.0.1", "hooks.internal", "10.0.0.0/8", "::1"]);
  });

  it("refuses entries that are none of those, at boot", () => {
    expect(() => env("http://hooks.internal/")).toThrow("WEBHOOK_ALLOW_HOSTS must be host names, IPs or CIDRs");
  });
});
