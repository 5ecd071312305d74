import { edgeIngest } from "~/server/ingest/edge-ingest";

export const runtime = "edge";
export const dynamic = "force-dynamic";

/** GET a profile's latest state with the project's API key (read through the worker's query service). */
export function GET(request: Request) {
  // The id comes from the request's path, decoded by ingest: a malformed escape is a 400 there.
  return edgeIngest().profile(request);
}

export function OPTIONS() {
  return edgeIngest().preflight();
}

/** Any other method: 405 with a machine-readable error and Allow (Next's own 405 has neither). */
function notAllowed(request: Request) {
  return edgeIngest().methodNotAllowed(request.method, "GET, OPTIONS");
}
export { notAllowed as POST, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
