import { edgeIngest } from "~/server/ingest/edge-ingest";

// Node, not edge: `next start` runs edge routes in a sandbox that answers only once the whole
// body has arrived, so a client still sending an oversized body would wait for its 413.
export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** POST one event (internal, tracking or Segment format). */
export function POST(request: Request) {
  return edgeIngest().events(request);
}

export function OPTIONS() {
  return edgeIngest().preflight();
}

/** Any other method: 405 with a machine-readable error and Allow (Next's own 405 has neither). */
function notAllowed(request: Request) {
  return edgeIngest().methodNotAllowed(request.method, "POST, OPTIONS");
}
export { notAllowed as GET, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
