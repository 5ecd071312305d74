import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { newWebhookSecret } from "../../src/core/webhooks";
import { signWebhook, webhookSecretBytes } from "./webhook-signing";
import { verifyStandardWebhook } from "./webhook-testing";

describe("Standard Webhooks signatures", () => {
  it("reproduces the specification's published test vector", () => {
    const headers = signWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}');
    expect(headers).toEqual({
      "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
      "webhook-timestamp": "1614265330",
      "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    });
  });

  it("verifies independently for any id, body and fresh secret, and fails once anything is altered", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^msg_[\w]{1,30}$/), fc.json(), fc.integer({ min: 1_600_000_000, max: 2_000_000_000 }), (id, body, now) => {
        const secret = newWebhookSecret();
        const headers = { ...signWebhook(secret, id, now, body) };
        expect(verifyStandardWebhook(secret, headers, body, now + 10)).toBe(true);
        expect(verifyStandardWebhook(secret, headers, `${body} `, now)).toBe(false);
        expect(verifyStandardWebhook(secret, { ...headers, "webhook-id": `${id}x` }, body, now)).toBe(false);
        expect(verifyStandardWebhook(secret, { ...headers, "webhook-timestamp": String(now + 1) }, body, now)).toBe(false);
        expect(verifyStandardWebhook(newWebhookSecret(), headers, body, now)).toBe(false);
        expect(verifyStandardWebhook(secret, headers, body, now + 301)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses secrets without the whsec_ prefix or with too few bytes", () => {
    expect(() => webhookSecretBytes("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).toThrow("whsec_");
    expect(() => webhookSecretBytes("whsec_c2hvcnQ=")).toThrow("at least 16 bytes");
  });
});
