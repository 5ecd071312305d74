import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { openBody, outboxKey, REDACTED_LINK, redactLinks, sealBody } from "~/server/outbox";

const key = outboxKey("a-secret-of-at-least-sixteen-characters");
const otherKey = outboxKey("another-secret-of-sixteen-characters");

/** Tokens as newSecret() makes them: 32 random bytes, base64url. */
const token = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes).toString("base64url"));
const link = fc.tuple(
  fc.constantFrom("http://127.0.0.1:3000", "https://prism.example.com"),
  fc.constantFrom("/invite/", "/verify?token=", "/reset?token="),
  token,
);
/** Mail-like text: words, punctuation and links with real tokens in any order. */
const mailText = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 20 }),
      link.map(([base, path, secret]) => `${base}${path}${secret}`),
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(" "));

describe("outbox sealing", () => {
  it("opens what it sealed, for the same recipient and key", () => {
    fc.assert(
      fc.property(fc.emailAddress(), mailText, fc.string(), (to, text, html) => {
        expect(openBody(key, to, sealBody(key, to, { text, html }))).toEqual({ text, html });
      }),
    );
  });

  it("refuses another key, another recipient and any altered character", () => {
    fc.assert(
      fc.property(mailText, fc.nat(), (text, position) => {
        const sealed = sealBody(key, "a@example.com", { text, html: "" });
        expect(openBody(otherKey, "a@example.com", sealed)).toBeNull();
        expect(openBody(key, "b@example.com", sealed)).toBeNull();
        const at = position % sealed.length;
        const altered = sealed.slice(0, at) + (sealed[at] === "A" ? "B" : "A") + sealed.slice(at + 1);
        expect(openBody(key, "a@example.com", altered)).toBeNull();
      }),
    );
  });

  it("keeps no token of the mail in the sealed text", () => {
    fc.assert(
      fc.property(link, (parts) => {
        const sealed = sealBody(key, "a@example.com", { text: `Accept: ${parts.join("")}`, html: `<a href="${parts.join("")}">x</a>` });
        expect(sealed).not.toContain(parts[2]);
      }),
    );
  });
});

describe("redactLinks", () => {
  it("removes every link and token and keeps the words around them", () => {
    fc.assert(
      fc.property(fc.array(link, { minLength: 1, maxLength: 4 }), fc.string({ maxLength: 30 }), (links, words) => {
        const text = `${words.replace(/https?:\/\//g, "")}\n${links.map((parts) => parts.join("")).join("\n")}\n`;
        const redacted = redactLinks(text);
        for (const [, , secret] of links) expect(redacted).not.toContain(secret);
        expect(redacted).not.toMatch(/https?:\/\//);
        expect(redacted.split(REDACTED_LINK).length - 1).toBe(links.length);
      }),
    );
  });

  it("leaves text without links as it is", () => {
    expect(redactLinks("Welcome to Prism.\n\nNo link here.")).toBe("Welcome to Prism.\n\nNo link here.");
  });
});
