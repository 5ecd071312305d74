import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { z } from "zod";

/**
 * The outbox keeps mails in the product when no SMTP server is configured. A kept mail holds
 * invite, verification and reset links, so at rest it is stored twice: once with every link
 * removed (readable by anyone with the table, useless to them) and once sealed with AES-256-GCM
 * under a key derived from NEXTAUTH_SECRET, which only the app (and so the admin page) can open.
 */

const SEAL_VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export const REDACTED_LINK = "[link hidden: open the outbox in Prism]";

const sealedBody = z.strictObject({ text: z.string(), html: z.string() });
export type OutboxBody = z.infer<typeof sealedBody>;

/** A 32-byte key for the outbox, separate from the session-signing use of the same secret. */
export function outboxKey(secret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, "prism-outbox", "prism outbox mail v1", 32));
}

/** Every http(s) link (and so every token in one) replaced by a placeholder. */
export function redactLinks(text: string): string {
  return text.replace(/https?:\/\/[^\s<>"'`]+/g, REDACTED_LINK);
}

/** `v1.<iv>.<ciphertext+tag>`, bound to the recipient so a sealed body cannot be moved to another mail. */
export function sealBody(key: Buffer, to: string, body: OutboxBody): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(to, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(body), "utf8"), cipher.final(), cipher.getAuthTag()]);
  return [SEAL_VERSION, iv.toString("base64url"), ciphertext.toString("base64url")].join(".");
}

/** The sealed body, or null when it was sealed with another key, for another recipient, or altered. */
export function openBody(key: Buffer, to: string, sealed: string): OutboxBody | null {
  const [version, ivText, dataText, ...rest] = sealed.split(".");
  if (version !== SEAL_VERSION || !ivText || !dataText || rest.length > 0) return null;
  const iv = Buffer.from(ivText, "base64url");
  const data = Buffer.from(dataText, "base64url");
  if (iv.length !== IV_BYTES || data.length < TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv);
    decipher.setAAD(Buffer.from(to, "utf8"));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    const plain = Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_BYTES)), decipher.final()]).toString("utf8");
    const parsed = sealedBody.safeParse(JSON.parse(plain));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
