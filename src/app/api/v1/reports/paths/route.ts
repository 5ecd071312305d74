import { handleRest, methodNotAllowed } from "~/server/rest/handler";
import { restRoute } from "~/server/rest/routes";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const route = restRoute("POST", "/api/v1/reports/paths");

/** The REST door onto reports.paths (a read key; see src/server/rest). */
export function POST(request: Request) {
  return handleRest(request, route);
}

function notAllowed(request: Request) {
  return methodNotAllowed(request, "POST");
}
export { notAllowed as GET, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
