import { resolvedKeySchema, type ResolvedKey } from "../src/core/tracking-plan";

/**
 * Caches key lookups briefly (positive and negative), and shares one in-flight lookup per key.
 * Keys are cached by their SHA-256, so no secret sits in memory longer than a request.
 *
 * An entry is fresh for `ttlMs`. For another `ttlMs` after that it is still answered at once while
 * one background lookup refreshes it, so a busy key never makes requests wait on the lookup (at
 * 1,000 requests/s, every expiry used to stall a few hundred of them). A key unused for twice the
 * TTL waits for a new lookup. A revoked key therefore stops working within `ttlMs` plus one lookup.
 */
export function createKeyCache(lookup: (apiKey: string) => Promise<ResolvedKey | null>, ttlMs: number, now: () => number = () => Date.now()) {
  const entries = new Map<string, { value: ResolvedKey | null; expires: number }>();
  const inflight = new Map<string, Promise<ResolvedKey | null>>();

  async function digest(apiKey: string): Promise<string> {
    const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(apiKey));
    return Array.from(new Uint8Array(bytes), (byte) => byte.toString(16).padStart(2, "0")).join("");
  }

  function refresh(id: string, apiKey: string): Promise<ResolvedKey | null> {
    let pending = inflight.get(id);
    if (!pending) {
      pending = lookup(apiKey)
        .then((value) => {
          if (entries.size > 10_000) entries.clear();
          entries.set(id, { value, expires: now() + ttlMs });
          return value;
        })
        .finally(() => inflight.delete(id));
      inflight.set(id, pending);
    }
    return pending;
  }

  return async function resolve(apiKey: string): Promise<ResolvedKey | null> {
    const id = await digest(apiKey);
    const hit = entries.get(id);
    const at = now();
    if (hit && hit.expires > at) return hit.value;
    if (hit && hit.expires + ttlMs > at) {
      // Stale but recent: answer now, refresh behind. A failed refresh is retried by the next request.
      refresh(id, apiKey).catch(() => undefined);
      return hit.value;
    }
    return refresh(id, apiKey);
  };
}

/** The lookup against the app's internal endpoint (secret-protected). */
export function internalKeyLookup(opts: { url: string; secret: string; timeoutMs?: number }) {
  return async (apiKey: string): Promise<ResolvedKey | null> => {
    const response = await fetch(opts.url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-internal-secret": opts.secret },
      body: JSON.stringify({ apiKey }),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 2000),
    });
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(`key lookup answered ${response.status}`);
    return resolvedKeySchema.parse(await response.json());
  };
}
