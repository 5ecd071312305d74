import { handleRest, methodNotAllowed } from "~/server/rest/handler";
import { restRoute } from "~/server/rest/routes";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const list = restRoute("GET", "/api/v1/projects");
const create = restRoute("POST", "/api/v1/projects");

/** An organisation key's projects (a project manage key: its own), and creating one with an organisation key; see src/server/rest. */
export function GET(request: Request) {
  return handleRest(request, list);
}

export function POST(request: Request) {
  return handleRest(request, create);
}

function notAllowed(request: Request) {
  return methodNotAllowed(request, "GET, POST");
}
export { notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
