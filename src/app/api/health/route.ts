import { db } from "~/server/db";

export const dynamic = "force-dynamic";

/** Liveness of the web app and its database. */
export async function GET() {
  try {
    await db().$queryRawUnsafe("SELECT 1");
    return Response.json({ status: "ok", postgres: "ok" });
  } catch {
    return Response.json({ status: "unhealthy", postgres: "unreachable" }, { status: 503 });
  }
}
