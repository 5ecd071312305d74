import { handleRest, methodNotAllowed } from "~/server/rest/handler";
import { restRoute } from "~/server/rest/routes";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const route = restRoute("GET", "/api/v1/reports/export/{reportId}");

/** Streams a saved report's rows (?format=csv|ndjson|json; a read key). */
export async function GET(request: Request, context: { params: Promise<{ reportId: string }> }) {
  return handleRest(request, route, await context.params);
}

function notAllowed(request: Request) {
  return methodNotAllowed(request, "GET");
}
export { notAllowed as POST, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
