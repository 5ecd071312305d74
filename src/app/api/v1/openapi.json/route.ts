import { openApiDocument } from "~/server/rest/openapi";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** The REST API's OpenAPI 3.1 document (public, like the routes' own 401s). */
export function GET() {
  return Response.json(openApiDocument(), { headers: { "cache-control": "public, max-age=300" } });
}
