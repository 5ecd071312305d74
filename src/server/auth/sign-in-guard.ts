import type { SignInGate } from "~/server/auth/sign-in-throttle";

/** The client's address: the entry the nearest proxy appended to X-Forwarded-For (Next.js sets it to the socket's when absent). */
export function clientAddress(headers: Headers): string | null {
  const entries = headers.get("x-forwarded-for")?.split(",") ?? [];
  const last = entries[entries.length - 1]?.trim();
  return last ? last.slice(0, 64) : null;
}

const CREDENTIALS_CALLBACK = /\/callback\/credentials\/?$/;

/** The email a credentials sign-in names, normalised as sign-in normalises it. */
async function emailOf(request: Request): Promise<string | null> {
  if (!request.headers.get("content-type")?.includes("application/x-www-form-urlencoded")) return null;
  const email = new URLSearchParams(await request.clone().text()).get("email")?.trim().toLowerCase();
  return email ? email.slice(0, 254) : null;
}

/**
 * Wraps the next-auth handler: a credentials sign-in first passes the per-address and per-account
 * limit, or gets 429 with Retry-After (next-auth's authorize() cannot choose a status). The body keeps
 * next-auth's `url` shape, so `signIn()` on the page resolves with status 429 and error "TooManyAttempts".
 */
export function guardSignIn<C>(handler: (request: Request, context: C) => Promise<Response>, gate: () => SignInGate) {
  return async (request: Request, context: C): Promise<Response> => {
    const url = new URL(request.url);
    if (request.method !== "POST" || !CREDENTIALS_CALLBACK.test(url.pathname)) return handler(request, context);
    const email = await emailOf(request);
    const address = clientAddress(request.headers);
    const waitSeconds = await gate().check({ email, address });
    if (waitSeconds !== null) {
      const errorUrl = new URL(url.pathname.replace(CREDENTIALS_CALLBACK, "/error"), url);
      errorUrl.searchParams.set("error", "TooManyAttempts");
      return Response.json(
        {
          error: "too_many_attempts",
          message: `Too many sign-in attempts; try again in ${waitSeconds} second${waitSeconds === 1 ? "" : "s"}.`,
          retryAfter: waitSeconds,
          url: errorUrl.toString(),
        },
        { status: 429, headers: { "retry-after": String(waitSeconds), "cache-control": "no-store" } },
      );
    }
    const response = await handler(request, context);
    const signedIn = response.headers.getSetCookie().some((cookie) => /^(__Secure-)?next-auth\.session-token(\.\d+)?=[^;]/.test(cookie));
    if (signedIn && email) await gate().succeeded({ email, address });
    return response;
  };
}
