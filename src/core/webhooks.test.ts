import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  classifyAddress,
  newWebhookEndpointId,
  newWebhookSecret,
  WebhookAllowList,
  webhookAllowHostsSchema,
  webhookEndpointFormSchema,
  webhookEndpointInputSchema,
  webhookUrlProblem,
} from "./webhooks";

/**
 * An oracle written from the IANA special-purpose registry, independent of ipaddr.js: the IPv4
 * blocks a webhook must never reach (unless allow-listed).
 */
const IPV4_BLOCKED: Array<[string, number]> = [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
];
const toInt = (dotted: string) => dotted.split(".").reduce((sum, octet) => sum * 256 + Number(octet), 0);
const toDotted = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
const blockedByOracle = (n: number) => IPV4_BLOCKED.some(([base, bits]) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(toInt(base) / 2 ** (32 - bits)));
const inBlock = ([base, bits]: [string, number]) => fc.integer({ min: 0, max: 2 ** (32 - bits) - 1 }).map((offset) => toDotted(toInt(base) + offset));
const mappedForms = (dotted: string) => {
  const n = toInt(dotted);
  const hex = `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  return [`::ffff:${dotted}`, `::ffff:${hex}`, `64:ff9b::${dotted}`, `::ffff:0:${dotted}`];
};

const anyIPv4 = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const privateIPv4 = fc.oneof(...IPV4_BLOCKED.map(inBlock));
const hextets = (count: number) => fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: count, maxLength: count });
const ipv6With = (first: fc.Arbitrary<number>) => fc.tuple(first, hextets(7)).map(([head, rest]) => [head, ...rest].map((part) => part.toString(16)).join(":"));

describe("classifyAddress", () => {
  it("allows exactly the IPv4 addresses outside the special-purpose registry", () => {
    fc.assert(
      fc.property(anyIPv4, (n) => {
        expect(classifyAddress(toDotted(n)).allowed).toBe(!blockedByOracle(n));
      }),
      { numRuns: 20_000 },
    );
  });

  it("refuses every private IPv4 address in each IPv6 form that carries it", () => {
    fc.assert(
      fc.property(privateIPv4, (dotted) => {
        for (const form of [dotted, ...mappedForms(dotted)]) expect(classifyAddress(form), form).toMatchObject({ allowed: false });
      }),
    );
  });

  it("allows a public IPv4 address in its mapped and NAT64 forms", () => {
    fc.assert(
      fc.property(
        anyIPv4.filter((n) => !blockedByOracle(n)),
        (n) => {
          for (const form of mappedForms(toDotted(n))) expect(classifyAddress(form), form).toEqual({ allowed: true });
        },
      ),
    );
  });

  it("refuses link-local, unique-local, multicast, site-local, loopback and unspecified IPv6", () => {
    const special = fc.oneof(
      ipv6With(fc.integer({ min: 0xfe80, max: 0xfebf })),
      ipv6With(fc.integer({ min: 0xfc00, max: 0xfdff })),
      ipv6With(fc.integer({ min: 0xff00, max: 0xffff })),
      ipv6With(fc.integer({ min: 0xfec0, max: 0xfeff })),
      fc.constantFrom("::1", "::", "[::1]", "0:0:0:0:0:0:0:1", "::127.0.0.1"),
    );
    fc.assert(
      fc.property(special, (address) => {
        expect(classifyAddress(address), address).toMatchObject({ allowed: false });
      }),
    );
  });

  it("allows global unicast IPv6 outside the documentation, tunnel and reserved blocks", () => {
    const global = ipv6With(fc.integer({ min: 0x2000, max: 0x3ffe }).filter((head) => head !== 0x2001 && head !== 0x2002));
    fc.assert(
      fc.property(global, (address) => {
        expect(classifyAddress(address), address).toEqual({ allowed: true });
      }),
    );
  });

  it("names the range in the refusal and refuses non-addresses", () => {
    expect(classifyAddress("169.254.169.254")).toEqual({ allowed: false, reason: expect.stringContaining("link-local") });
    expect(classifyAddress("10.0.0.1")).toEqual({ allowed: false, reason: expect.stringContaining("private") });
    expect(classifyAddress("fe80::1")).toEqual({ allowed: false, reason: expect.stringContaining("link-local") });
    expect(classifyAddress("example.com")).toEqual({ allowed: false, reason: expect.stringContaining("not an IP address") });
    expect(classifyAddress("2001:db8::1")).toMatchObject({ allowed: false });
  });
});

describe("webhook URLs at creation", () => {
  it("accepts public http and https URLs", () => {
    expect(webhookUrlProblem("https://hooks.example.com/prism?x=1")).toBeNull();
    expect(webhookUrlProblem("http://93.184.216.34:8080/")).toBeNull();
    expect(webhookUrlProblem("https://[2606:2800:220:1:248:1893:25c8:1946]/")).toBeNull();
  });

  it.each([
    ["ftp://example.com/", "http:// or https://"],
    ["javascript:alert(1)", "http:// or https://"],
    ["https://user:pw@example.com/", "user name or password"],
    ["http://127.0.0.1:3000/", "loopback"],
    ["http://2130706433/", "loopback"],
    ["http://0x7f.1/", "loopback"],
    ["http://10.0.0.1/", "private"],
    ["http://169.254.169.254/latest/meta-data", "link-local"],
    ["http://[::1]/", "loopback"],
    ["http://[::ffff:127.0.0.1]/", "loopback"],
    ["http://[fe80::1]/", "link-local"],
    ["http://localhost:8080/", "local name"],
    ["http://api.localhost/", "local name"],
    ["http://printer.local/", "local name"],
    ["not a url", "not a valid URL"],
  ])("refuses %s", (url, message) => {
    expect(webhookUrlProblem(url)).toContain(message);
  });

  it("explains refusals through the form schema, with hostile inputs", () => {
    const parse = (input: unknown) => webhookEndpointInputSchema.safeParse(input);
    expect(parse({ url: " https://example.com/hook ", description: "CRM" })).toMatchObject({ success: true, data: { url: "https://example.com/hook" } });
    expect(parse({ url: `https://example.com/${"a".repeat(5000)}` }).error?.issues[0]?.message).toContain("at most 2048");
    expect(parse({ url: 42 }).success).toBe(false);
    expect(parse(JSON.parse('{"url":"https://example.com/","__proto__":{"admin":true}}')).success).toBe(false);
    expect(parse({ url: "https://example.com/", description: "<script>" }).success).toBe(false);
  });
});

describe("WEBHOOK_ALLOW_HOSTS at creation", () => {
  const allow = (entries: string) => {
    const list = new WebhookAllowList(webhookAllowHostsSchema.parse(entries));
    return { allowList: () => list };
  };

  it("admits the named hosts, IPs and CIDRs, and nothing next to them", () => {
    const check = allow(" hooks.internal, 127.0.0.1 ,10.20.0.0/16,fd00::/8,Localhost.");
    expect(webhookUrlProblem("http://hooks.internal:8080/x", check)).toBeNull();
    expect(webhookUrlProblem("http://HOOKS.internal./x", check)).toBeNull();
    expect(webhookUrlProblem("http://127.0.0.1:3000/", check)).toBeNull();
    expect(webhookUrlProblem("http://0x7f.1/", check)).toBeNull();
    expect(webhookUrlProblem("http://[::ffff:127.0.0.1]/", check)).toBeNull();
    expect(webhookUrlProblem("http://10.20.255.1/", check)).toBeNull();
    expect(webhookUrlProblem("http://[fd12::1]/", check)).toBeNull();
    expect(webhookUrlProblem("http://localhost/", check)).toBeNull();
    expect(webhookUrlProblem("http://127.0.0.2/", check)).toContain("loopback");
    expect(webhookUrlProblem("http://10.21.0.1/", check)).toContain("WEBHOOK_ALLOW_HOSTS");
    expect(webhookUrlProblem("http://api.hooks.internal/", check)).toContain("local name");
    // The allow list never excuses a bad scheme or credentials.
    expect(webhookUrlProblem("ftp://hooks.internal/", check)).toContain("http:// or https://");
    expect(webhookUrlProblem("http://u:p@hooks.internal/", check)).toContain("user name or password");
  });

  it("is read only for URLs that would otherwise be refused", () => {
    let reads = 0;
    const check = {
      allowList: () => {
        reads++;
        return new WebhookAllowList(["10.0.0.0/8"]);
      },
    };
    expect(webhookUrlProblem("https://hooks.example.com/", check)).toBeNull();
    expect(reads).toBe(0);
    expect(webhookUrlProblem("http://10.1.1.1/", check)).toBeNull();
    expect(reads).toBe(1);
  });

  it("admits every address inside an allowed private range and none in the private ranges outside it", () => {
    const check = allow("10.20.0.0/16");
    const octet = fc.integer({ min: 0, max: 255 });
    fc.assert(fc.property(octet, octet, (c, d) => webhookUrlProblem(`http://10.20.${c}.${d}/`, check) === null));
    fc.assert(
      fc.property(
        octet.filter((b) => b !== 20),
        octet,
        octet,
        (b, c, d) => webhookUrlProblem(`http://10.${b}.${c}.${d}/`, check)?.includes("private network address") === true,
      ),
    );
  });

  it("refuses malformed settings", () => {
    expect(webhookAllowHostsSchema.safeParse("http://hooks.internal/").success).toBe(false);
    expect(webhookAllowHostsSchema.safeParse("hooks internal").success).toBe(false);
    expect(webhookAllowHostsSchema.parse("")).toEqual([]);
  });

  it("the browser's form schema checks the URL's form and leaves the host to the server", () => {
    expect(webhookEndpointFormSchema.safeParse({ url: "http://10.0.0.1/" }).success).toBe(true);
    expect(webhookEndpointFormSchema.safeParse({ url: "ftp://example.com/" }).success).toBe(false);
    expect(webhookEndpointInputSchema.safeParse({ url: "http://10.0.0.1/" }).success).toBe(false);
  });
});

describe("ids and secrets", () => {
  it("mints whsec_ secrets of 32 random bytes and whe_ ids", () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice(6), "base64")).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(secret);
    expect(newWebhookEndpointId()).toMatch(/^whe_[0-9a-z]{16}$/);
  });
});
