import { edgeIngest } from "~/server/ingest/edge-ingest";

export const runtime = "edge";
export const dynamic = "force-dynamic";

/** GET a profile's latest state with the project's API key (read through the worker's query service). */
export async function GET(request: Request, context: { params: Promise<{ profileId: string }> }) {
  const { profileId } = await context.params;
  return edgeIngest().profile(request, profileId);
}

export function OPTIONS() {
  return edgeIngest().preflight();
}
