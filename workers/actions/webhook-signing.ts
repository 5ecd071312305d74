import { createHmac } from "node:crypto";
import { WEBHOOK_SECRET_PREFIX } from "../../src/core/webhooks";

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): any of that specification's
 * verification libraries accepts what Prism sends, given the endpoint's `whsec_` secret.
 */

/** The key bytes of a `whsec_` secret. */
export function webhookSecretBytes(secret: string): Buffer {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) throw new Error(`A webhook secret starts with ${WEBHOOK_SECRET_PREFIX}`);
  const bytes = Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), "base64");
  if (bytes.length < 16) throw new Error("A webhook secret holds at least 16 bytes");
  return bytes;
}

export interface SignedWebhookHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/** `v1,` + base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)), with the headers that carry it. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): SignedWebhookHeaders {
  const timestamp = String(Math.floor(timestampSeconds));
  const signature = createHmac("sha256", webhookSecretBytes(secret)).update(`${id}.${timestamp}.${body}`).digest("base64");
  return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": `v1,${signature}` };
}
