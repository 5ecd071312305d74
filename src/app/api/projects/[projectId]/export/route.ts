import { getSession } from "~/server/auth/options";
import { db } from "~/server/db";
import { proxyExport } from "~/server/export-proxy";
import { queryServiceTarget } from "~/server/query-client";

export const dynamic = "force-dynamic";

/** POST { format: "csv" | "ndjson" | "json", source }: streams the export as a download. */
export async function POST(request: Request, context: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await context.params;
  const session = await getSession();
  return proxyExport({ request, projectId, userId: session?.user.id ?? null, db: db(), target: queryServiceTarget() });
}
