import { edgeIngest } from "~/server/ingest/edge-ingest";

export const runtime = "edge";
export const dynamic = "force-dynamic";

/** POST up to 100 events: a JSON array or {"events": [...]}. */
export function POST(request: Request) {
  return edgeIngest().batch(request);
}

export function OPTIONS() {
  return edgeIngest().preflight();
}
