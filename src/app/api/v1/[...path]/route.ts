import { edgeIngest } from "~/server/ingest/edge-ingest";

export const runtime = "edge";
export const dynamic = "force-dynamic";

/** Unknown paths under /api/v1: a JSON 404 with a machine-readable error, not the app's HTML page. */
function notFound(request: Request) {
  return edgeIngest().notFound(request);
}
export { notFound as GET, notFound as POST, notFound as PUT, notFound as PATCH, notFound as DELETE, notFound as OPTIONS };
