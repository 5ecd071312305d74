import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lower case

/** A random id with a readable prefix, e.g. `proj_3k9x…` (16 chars ≈ 80 bits). */
export function prefixedId(prefix: "proj" | "key", length = 16): string {
  const bytes = randomBytes(length);
  let out = "";
  for (const byte of bytes) out += ALPHABET[byte & 31];
  return `${prefix}_${out}`;
}
