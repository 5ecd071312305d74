import { lookup as dnsLookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";
import { classifyAddress, type WebhookAllowList } from "../../src/core/webhooks";

/**
 * One webhook attempt, guarded against SSRF: the host is resolved once, every address is checked,
 * and the socket connects to a checked address (a custom `lookup` hands the request exactly those
 * addresses, so a DNS answer that changes between check and connect cannot slip through).
 * Redirects are not followed: a 3xx is a failed attempt naming the new location, as Stripe and
 * GitHub do; following them would mean re-checking each hop and re-posting the body elsewhere.
 */

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }));

/** WEBHOOK_ALLOW_HOSTS, shared with the app's check when an endpoint is saved. */
export { WebhookAllowList as AllowList } from "../../src/core/webhooks";

const normalHost = (hostname: string) =>
  hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");

export type TargetCheck = { ok: true; addresses: ResolvedAddress[] } | { ok: false; refused: boolean; reason: string };

/** Resolves `hostname` and checks every address it has; `refused` marks a policy refusal rather than a lookup failure. */
export async function checkWebhookTarget(hostname: string, allow: WebhookAllowList, resolve: Resolver = systemResolver): Promise<TargetCheck> {
  const host = normalHost(hostname);
  let addresses: ResolvedAddress[];
  if (ipaddr.isValid(host)) {
    addresses = [{ address: host, family: ipaddr.parse(host).kind() === "ipv6" ? 6 : 4 }];
  } else {
    try {
      addresses = await resolve(host);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return { ok: false, refused: false, reason: `could not resolve ${host}${typeof code === "string" ? ` (${code})` : ""}` };
    }
    if (addresses.length === 0) return { ok: false, refused: false, reason: `${host} has no addresses` };
  }
  if (allow.allowsHost(host)) return { ok: true, addresses };
  for (const { address } of addresses) {
    if (allow.allowsAddress(address)) continue;
    const verdict = classifyAddress(address);
    if (!verdict.allowed) {
      const via = address === host ? "" : `${host} resolves to `;
      return { ok: false, refused: true, reason: `refused: ${via}${verdict.reason}; only public addresses are called unless WEBHOOK_ALLOW_HOSTS names them` };
    }
  }
  return { ok: true, addresses };
}

export interface AttemptOutcome {
  /** delivered: 2xx · gone: 410, the receiver asks us to stop · refused: the address policy said no · failed: anything else */
  result: "delivered" | "gone" | "refused" | "failed";
  /** Whether trying again later could help. */
  retryable: boolean;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
}

export interface SendOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  allow: WebhookAllowList;
  timeoutMs: number;
  resolve?: Resolver;
}

const MAX_RESPONSE_BYTES = 1024;

/** POSTs `body` to `url` once and says what happened; never throws. */
export async function sendWebhook(opts: SendOptions): Promise<AttemptOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    return { result: "refused", retryable: false, statusCode: null, error: "refused: the endpoint URL is not valid", latencyMs: 0 };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { result: "refused", retryable: false, statusCode: null, error: `refused: ${url.protocol} URLs are not called`, latencyMs: 0 };
  }
  if (url.username || url.password) {
    return { result: "refused", retryable: false, statusCode: null, error: "refused: the endpoint URL contains credentials", latencyMs: 0 };
  }

  // The lookup counts against the timeout too: getaddrinfo has no deadline of its own.
  let lookupTimer: NodeJS.Timeout | undefined;
  const target = await Promise.race([
    checkWebhookTarget(url.hostname, opts.allow, opts.resolve),
    new Promise<TargetCheck>((resolve) => {
      lookupTimer = setTimeout(
        () => resolve({ ok: false, refused: false, reason: `resolving ${url.hostname} timed out after ${opts.timeoutMs} ms` }),
        opts.timeoutMs,
      );
    }),
  ]).finally(() => clearTimeout(lookupTimer));
  if (!target.ok)
    return { result: target.refused ? "refused" : "failed", retryable: !target.refused, statusCode: null, error: target.reason, latencyMs: elapsed() };
  const checked = target.addresses;
  const lookup: LookupFunction = (_hostname, options, callback) => {
    const first = checked[0]!;
    if (options.all) (callback as (err: null, addresses: ResolvedAddress[]) => void)(null, checked);
    else callback(null, first.address, first.family);
  };

  return new Promise<AttemptOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: Omit<AttemptOutcome, "latencyMs">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...outcome, latencyMs: elapsed() });
    };
    const transport = url.protocol === "https:" ? https : http;
    const request = transport.request(
      url,
      {
        method: "POST",
        headers: { ...opts.headers, "content-type": "application/json", "content-length": Buffer.byteLength(opts.body), "user-agent": "Prism-Webhooks/1.0" },
        lookup,
        agent: false,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let kept = 0;
        response.on("data", (chunk: Buffer) => {
          if (kept < MAX_RESPONSE_BYTES) {
            chunks.push(chunk);
            kept += chunk.length;
          }
        });
        response.on("error", (error) => finish({ result: "failed", retryable: true, statusCode: status, error: `response broke off: ${error.message}` }));
        response.on("end", () => {
          const snippet = oneLine(Buffer.concat(chunks).toString("utf8"), 200);
          if (status >= 200 && status < 300) finish({ result: "delivered", retryable: false, statusCode: status, error: null });
          else if (status === 410)
            finish({ result: "gone", retryable: false, statusCode: status, error: "410 Gone: the receiver asked for no more deliveries" });
          else if (status >= 300 && status < 400) {
            const location = oneLine(String(response.headers.location ?? "nowhere"), 300);
            finish({
              result: "failed",
              retryable: true,
              statusCode: status,
              error: `redirected to ${location}; redirects are not followed, set the endpoint URL to the final address`,
            });
          } else finish({ result: "failed", retryable: true, statusCode: status, error: `HTTP ${status}${snippet ? `: ${snippet}` : ""}` });
        });
      },
    );
    const timer = setTimeout(
      () => {
        finish({ result: "failed", retryable: true, statusCode: null, error: `timed out after ${opts.timeoutMs} ms` });
        request.destroy();
      },
      Math.max(1, opts.timeoutMs - elapsed()),
    );
    request.on("error", (error: NodeJS.ErrnoException) =>
      finish({ result: "failed", retryable: true, statusCode: null, error: oneLine(`${error.code ? `${error.code}: ` : ""}${error.message}`, 300) }),
    );
    request.end(opts.body);
  });
}

function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
