import { malformedPathAnswer } from "@edge/ingest";
import { getToken } from "next-auth/jwt";
import { NextResponse, type NextRequest } from "next/server";
import { appEnv } from "~/server/env";

/**
 * Sends signed-out visitors of app pages to the login page before anything renders, so pages
 * do not start server calls that can only fail. Not the security boundary: every procedure
 * checks the session and the tenant itself.
 */
export async function proxy(request: NextRequest) {
  // Next decodes dynamic route segments before any route runs and answers a malformed escape
  // with a bare 500: ingest clients get ingest's JSON 400, other APIs a JSON 400, pages a plain one.
  const pathname = request.nextUrl.pathname;
  if (pathname.includes("%")) {
    if (pathname.startsWith("/api/v1/")) return malformedPathAnswer(request) ?? NextResponse.next();
    if (!isWellEncoded(pathname)) {
      return pathname.startsWith("/api/")
        ? Response.json({ error: "malformed", message: "The path is not valid percent-encoding." }, { status: 400 })
        : new Response("Bad request: this address is not valid percent-encoding.", { status: 400, headers: { "content-type": "text/plain; charset=utf-8" } });
    }
  }
  if (!APP_PAGES.some((prefix) => pathname === prefix || pathname.startsWith(`${prefix}/`))) return NextResponse.next();
  const token = await getToken({ req: request, secret: appEnv().NEXTAUTH_SECRET });
  if (token) return NextResponse.next();
  const login = new URL("/login", request.url);
  login.searchParams.set("callbackUrl", `${pathname}${request.nextUrl.search}`);
  return NextResponse.redirect(login);
}

/** Pages only a signed-in user can use. */
const APP_PAGES = ["/projects", "/orgs", "/account", "/admin"];

function isWellEncoded(pathname: string): boolean {
  try {
    decodeURIComponent(pathname);
    return true;
  } catch {
    return false;
  }
}

export const config = {
  // App pages, and any other path only when it holds a `%`: the proxy stays off the ingest hot path.
  matcher: ["/projects/:path*", "/orgs/:path*", "/account/:path*", "/admin/:path*", "/:path(.*%.*)"],
};
