import { z } from "zod";
import { db } from "~/server/db";
import { appEnv } from "~/server/env";
import { sameSecret } from "~/platform/internal-auth";
import { resolveApiKey } from "~/platform/resolve-key";

export const dynamic = "force-dynamic";

const body = z.strictObject({ apiKey: z.string().max(200) });

/** Internal: API key → project, settings and tracking plan. Protected by INTERNAL_SECRET. */
export async function POST(request: Request) {
  if (!sameSecret(request.headers.get("x-internal-secret"), appEnv().INTERNAL_SECRET)) {
    return Response.json({ error: "unauthorized", message: "Missing or wrong internal secret." }, { status: 401 });
  }
  const parsed = body.safeParse(await request.json().catch(() => null));
  if (!parsed.success) return Response.json({ error: "malformed", message: 'Expected {"apiKey": string}.' }, { status: 400 });
  const resolved = await resolveApiKey(db(), parsed.data.apiKey);
  if (!resolved) return Response.json({ error: "invalid_key", message: "Unknown or revoked API key." }, { status: 404 });
  return Response.json(resolved, { headers: { "cache-control": "no-store" } });
}
