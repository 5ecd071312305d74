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
  // with a bare 500; ingest clients get ingest's JSON 400 instead.
  if (request.nextUrl.pathname.startsWith("/api/v1/")) return malformedPathAnswer(request) ?? NextResponse.next();
  const token = await getToken({ req: request, secret: appEnv().NEXTAUTH_SECRET });
  if (token) return NextResponse.next();
  const login = new URL("/login", request.url);
  login.searchParams.set("callbackUrl", `${request.nextUrl.pathname}${request.nextUrl.search}`);
  return NextResponse.redirect(login);
}

export const config = {
  // Ingest paths only when they hold a `%`: the proxy stays off the ingest hot path.
  matcher: ["/projects/:path*", "/orgs/:path*", "/account/:path*", "/api/v1/:path(.*%.*)"],
};
