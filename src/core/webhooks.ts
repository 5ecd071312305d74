import ipaddr from "ipaddr.js";
import { z } from "zod";
import { plainText } from "./text";

/**
 * Webhook endpoints and the address policy shared by the router (checks at creation), the UI
 * (the same form schema) and the worker's dispatcher (the real check, after DNS resolution).
 */

export const WEBHOOK_SECRET_PREFIX = "whsec_";

/** A random endpoint id, `whe_` + 16 Crockford base32 characters (≈ 80 bits), like the other prefixed ids. */
export function newWebhookEndpointId(): string {
  const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
  return "whe_" + Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => alphabet[byte & 31]).join("");
}

/** A fresh endpoint secret: `whsec_` + base64 of 32 random bytes (the Standard Webhooks form). */
export function newWebhookSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return WEBHOOK_SECRET_PREFIX + btoa(String.fromCharCode(...bytes));
}

/** Delivery policy; the dispatcher takes overrides so tests can run the schedule in milliseconds. */
export const WEBHOOK_DELIVERY_POLICY = {
  timeoutMs: 5_000,
  /** Pause before attempt 2, 3, …: six attempts over about 1 h 13 min, each pause ±20 % jitter. */
  retryDelaysMs: [5_000, 30_000, 120_000, 600_000, 3_600_000],
  /** An endpoint is disabled when this many deliveries in a row failed every attempt (a 410 Gone disables it at once). */
  disableAfterFailedDeliveries: 10,
} as const;

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

const IPV4_REFUSED: Record<string, string> = {
  unspecified: "an unspecified address (0.0.0.0/8)",
  broadcast: "the broadcast address",
  multicast: "a multicast address",
  linkLocal: "a link-local address (169.254.0.0/16)",
  loopback: "a loopback address",
  carrierGradeNat: "a carrier-grade NAT address (100.64.0.0/10)",
  private: "a private network address",
  reserved: "a reserved address",
};
/** IPv4 ranges that are publicly routable anycast, not private. */
const IPV4_PUBLIC = new Set(["unicast", "as112", "amt"]);
const IPV6_PUBLIC = new Set(["unicast", "as112v6", "amt"]);
const IPV6_REFUSED: Record<string, string> = {
  unspecified: "the unspecified address (::)",
  linkLocal: "a link-local address (fe80::/10)",
  multicast: "a multicast address",
  loopback: "a loopback address (::1)",
  uniqueLocal: "a unique-local address (fc00::/7)",
  deprecatedSiteLocal: "a site-local address (fec0::/10)",
  "6to4": "a 6to4 tunnel address",
  teredo: "a Teredo tunnel address",
};

/**
 * Whether a webhook may connect to this IP address: only publicly routable unicast is allowed.
 * IPv6 forms that carry an IPv4 address (mapped, translated, NAT64) are judged by that address.
 */
export function classifyAddress(address: string): AddressVerdict {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address.replace(/^\[|\]$/g, ""));
  } catch {
    return { allowed: false, reason: `${address} is not an IP address` };
  }
  if (parsed.kind() === "ipv4") {
    const range = parsed.range();
    if (IPV4_PUBLIC.has(range)) return { allowed: true };
    return { allowed: false, reason: `${parsed.toString()} is ${IPV4_REFUSED[range] ?? `in a special-purpose range (${range})`}` };
  }
  const v6 = parsed as ipaddr.IPv6;
  const range = v6.range();
  const embedded = embeddedIPv4(v6, range);
  if (embedded) {
    const inner = classifyAddress(embedded);
    return inner.allowed ? inner : { allowed: false, reason: `${v6.toString()} embeds ${inner.reason}` };
  }
  // Only the global unicast block 2000::/3 is routable on the internet; the rest of ::/0 is special.
  if (IPV6_PUBLIC.has(range) && v6.match(ipaddr.IPv6.parse("2000::"), 3)) return { allowed: true };
  return { allowed: false, reason: `${v6.toString()} is ${IPV6_REFUSED[range] ?? `in a special-purpose range (${range})`}` };
}

/** The IPv4 address inside ::ffff:a.b.c.d, ::ffff:0:a.b.c.d, 64:ff9b::a.b.c.d and the deprecated ::a.b.c.d. */
function embeddedIPv4(v6: ipaddr.IPv6, range: string): string | null {
  const parts = v6.parts;
  const compatible = parts.slice(0, 6).every((part) => part === 0) && (parts[6] !== 0 || (parts[7] ?? 0) > 1);
  if (range !== "ipv4Mapped" && range !== "rfc6145" && range !== "rfc6052" && !compatible) return null;
  const high = parts[6] ?? 0;
  const low = parts[7] ?? 0;
  return [high >> 8, high & 255, low >> 8, low & 255].join(".");
}

const LOCAL_NAME = /(^|\.)(localhost|local|internal|localdomain|home\.arpa)$/i;

const normalHost = (hostname: string) =>
  hostname
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");

/**
 * WEBHOOK_ALLOW_HOSTS as configured: host names, IPs or CIDRs, comma-separated. Self-hosted teams
 * list internal receivers here; the app (saving endpoints) and the worker (calling them) read the same value.
 */
export const webhookAllowHostsSchema = z
  .string()
  .transform((value) =>
    value
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean),
  )
  .refine(
    (list) => list.every((item) => ipaddr.isValid(item) || ipaddr.isValidCIDR(item) || /^[A-Za-z0-9.-]{1,253}$/.test(item)),
    "must be host names, IPs or CIDRs, comma-separated",
  );

/** Host names, IPs and CIDRs that webhooks may call although private or loopback (WEBHOOK_ALLOW_HOSTS). */
export class WebhookAllowList {
  private readonly hosts = new Set<string>();
  private readonly ranges: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]> = [];

  constructor(entries: readonly string[]) {
    for (const raw of entries) {
      const entry = normalHost(raw);
      if (entry === "") continue;
      if (ipaddr.isValidCIDR(entry)) this.ranges.push(ipaddr.parseCIDR(entry));
      else if (ipaddr.isValid(entry)) {
        const address = ipaddr.process(entry);
        this.ranges.push([address, address.kind() === "ipv4" ? 32 : 128]);
      } else this.hosts.add(entry);
    }
  }

  get isEmpty(): boolean {
    return this.hosts.size === 0 && this.ranges.length === 0;
  }

  allowsHost(hostname: string): boolean {
    return this.hosts.has(normalHost(hostname));
  }

  allowsAddress(address: string): boolean {
    let parsed: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      parsed = ipaddr.process(normalHost(address));
    } catch {
      return false;
    }
    return this.ranges.some(([base, bits]) => base.kind() === parsed.kind() && parsed.match(base, bits));
  }
}

export const NO_ALLOW_LIST = new WebhookAllowList([]);

export interface WebhookUrlCheck {
  /** The server's WEBHOOK_ALLOW_HOSTS; only asked for when a URL would otherwise be refused for its host. */
  allowList?: () => WebhookAllowList;
  /** "form": the browser does not know the allow list, so it checks the URL's form and leaves the host to the server. */
  hosts?: "check" | "form";
}

const PUBLIC_ONLY = "webhooks only call public addresses unless the server's WEBHOOK_ALLOW_HOSTS names them";

/**
 * Problems a URL has as a webhook target before any DNS lookup: scheme, credentials, and hosts
 * that are private by their spelling (a private IP literal, localhost) and not allow-listed. The
 * dispatcher repeats the address check after resolving the name.
 */
export function webhookUrlProblem(raw: string, check: WebhookUrlCheck = {}): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "is not a valid URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "must start with http:// or https://";
  if (url.username || url.password) return "must not contain a user name or password; authenticate with the signature instead";
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (host === "") return "needs a host name";
  if (check.hosts === "form") return null;
  let refusal: string | null = null;
  if (ipaddr.isValid(host)) {
    const verdict = classifyAddress(host);
    if (!verdict.allowed) refusal = `names ${verdict.reason.replace(/ is /, ", ")}; ${PUBLIC_ONLY}`;
  } else if (LOCAL_NAME.test(host.replace(/\.$/, ""))) {
    refusal = `names ${host}, a local name; ${PUBLIC_ONLY}`;
  }
  if (refusal === null) return null;
  const allow = check.allowList?.() ?? NO_ALLOW_LIST;
  return allow.allowsHost(host) || (ipaddr.isValid(host) && allow.allowsAddress(host)) ? null : refusal;
}

export function webhookUrlSchemaWith(check: WebhookUrlCheck) {
  return z
    .string()
    .trim()
    .min(1, "is required")
    .max(2048, "is at most 2048 characters")
    .superRefine((value, ctx) => {
      const problem = webhookUrlProblem(value, check);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    });
}

export function webhookEndpointInputSchemaWith(check: WebhookUrlCheck) {
  return z.strictObject({
    url: webhookUrlSchemaWith(check),
    description: plainText(200, { required: false }).default(""),
  });
}

/** Without an allow list: only public targets. */
export const webhookUrlSchema = webhookUrlSchemaWith({});
export const webhookEndpointInputSchema = webhookEndpointInputSchemaWith({});
/** The browser's pre-check; the server judges the host against its allow list. */
export const webhookEndpointFormSchema = webhookEndpointInputSchemaWith({ hosts: "form" });
export type WebhookEndpointInput = z.infer<typeof webhookEndpointInputSchema>;

export const WEBHOOK_DELIVERY_STATUSES = ["pending", "delivered", "failed"] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];
