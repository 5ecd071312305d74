import { edgeIngest } from "~/server/ingest/edge-ingest";

export const runtime = "edge";
export const dynamic = "force-dynamic";

/** POST a profile create-or-update. */
export function POST(request: Request) {
  return edgeIngest().profiles(request);
}

export function OPTIONS() {
  return edgeIngest().preflight();
}
