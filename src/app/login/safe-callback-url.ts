/**
 * Where to go after signing in: only a path on this site, never another origin
 * ("//evil.example", "https://evil.example"). Absolute URLs on our own host become paths.
 */
export function safeCallbackUrl(raw: string | string[] | undefined, ownHost?: string | null, fallback = "/projects"): string {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value) return fallback;
  if (value.startsWith("/") && !value.startsWith("//") && !value.startsWith("/\\")) return value;
  try {
    const url = new URL(value);
    if (ownHost && url.host === ownHost && (url.protocol === "http:" || url.protocol === "https:"))
      return `${url.pathname}${url.search}${url.hash}` || fallback;
  } catch {
    // not a URL at all
  }
  return fallback;
}
