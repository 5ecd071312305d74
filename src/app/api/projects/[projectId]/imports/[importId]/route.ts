import { getSession } from "~/server/auth/options";
import { db } from "~/server/db";
import { handleImportUpload } from "~/server/imports";
import { importProducer } from "~/server/ingest/import-producer";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";
// A 100 MB file is read to its end within the request.
export const maxDuration = 900;

/** POST the file of an import started with imports.start; answers with the summary once the file is read. */
export async function POST(request: Request, context: { params: Promise<{ projectId: string; importId: string }> }) {
  const { projectId, importId } = await context.params;
  const session = await getSession();
  return handleImportUpload({ request, projectId, importId, userId: session?.user.id ?? null, db: db(), produce: importProducer() });
}
