import { buildVersion } from "~/platform/version";
import { db } from "~/server/db";

export const dynamic = "force-dynamic";

/** Liveness of the web app and its database, with the version it runs. */
export async function GET() {
  const version = buildVersion();
  try {
    await db().$queryRawUnsafe("SELECT 1");
    return Response.json({ status: "ok", ...version, postgres: "ok" });
  } catch {
    return Response.json({ status: "unhealthy", ...version, postgres: "unreachable" }, { status: 503 });
  }
}
