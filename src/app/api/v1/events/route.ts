import { edgeIngest } from "~/server/ingest/edge-ingest";
import { handleRest } from "~/server/rest/handler";
import { restRoute } from "~/server/rest/routes";

// Node, not edge: `next start` runs edge routes in a sandbox that answers only once the whole
// body has arrived, so a client still sending an oversized body would wait for its 413.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** POST one event (internal, tracking or Segment format). */
export function POST(request: Request) {
  return edgeIngest().events(request);
}

const list = restRoute("GET", "/api/v1/events");

/** The event list for a read key (the REST API, src/server/rest); ingest is POST only. */
export function GET(request: Request) {
  return handleRest(request, list);
}

export function OPTIONS() {
  return edgeIngest().preflight();
}

/** Any other method: 405 with a machine-readable error and Allow (Next's own 405 has neither). */
function notAllowed(request: Request) {
  return edgeIngest().methodNotAllowed(request.method, "GET, POST, OPTIONS");
}
export { notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
