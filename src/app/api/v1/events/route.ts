import { edgeIngest } from "~/server/ingest/edge-ingest";

export const runtime = "edge";
export const dynamic = "force-dynamic";

/** POST one event (internal, tracking or Segment format). */
export function POST(request: Request) {
  return edgeIngest().events(request);
}

export function OPTIONS() {
  return edgeIngest().preflight();
}
