import { hashSecret, newSecret } from "~/platform/tokens";
import { prefixedId } from "~/platform/ids";

export const API_KEY_PREFIX = "ef_live_";

/** A new key: the secret is returned once; only its hash and a short prefix are stored. */
export function mintApiKey(): { id: string; secret: string; secretHash: string; prefix: string } {
  const secret = `${API_KEY_PREFIX}${newSecret(24)}`;
  return { id: prefixedId("key"), secret, secretHash: hashSecret(secret), prefix: secret.slice(0, API_KEY_PREFIX.length + 6) };
}

export function looksLikeApiKey(value: string): boolean {
  return value.startsWith(API_KEY_PREFIX) && value.length >= API_KEY_PREFIX.length + 20 && value.length <= 100 && /^[\w-]+$/.test(value);
}
