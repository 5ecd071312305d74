import { edgeIngest } from "~/server/ingest/edge-ingest";

export const runtime = "edge";
export const dynamic = "force-dynamic";

export function GET() {
  return edgeIngest().health();
}

/** Any other method: 405 with a machine-readable error and Allow. */
function notAllowed(request: Request) {
  return edgeIngest().methodNotAllowed(request.method, "GET");
}
export { notAllowed as POST, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
