import { UAParser } from "ua-parser-js";

export interface ParsedUserAgent {
  browser: string | null;
  os: string | null;
  device_type: string | null;
}

const NONE: ParsedUserAgent = Object.freeze({ browser: null, os: null, device_type: null });

/**
 * Parsing costs ~80 µs, and a project's traffic repeats a few hundred user agents, so answers are
 * kept in a small cache that is cleared when full (cheaper than LRU bookkeeping per event).
 */
export function createUserAgentParser(capacity = 5000): (userAgent: string | undefined) => ParsedUserAgent {
  const cache = new Map<string, ParsedUserAgent>();
  return (userAgent) => {
    if (!userAgent) return NONE;
    let parsed = cache.get(userAgent);
    if (!parsed) {
      const result = UAParser(userAgent);
      parsed = {
        browser: result.browser.name ?? null,
        os: result.os.name ?? null,
        // ua-parser leaves desktop devices untyped.
        device_type: result.device.type ?? (result.os.name ? "desktop" : null),
      };
      if (cache.size >= capacity) cache.clear();
      cache.set(userAgent, parsed);
    }
    return parsed;
  };
}
