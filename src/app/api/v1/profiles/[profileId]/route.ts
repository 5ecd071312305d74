import { handleRest, methodNotAllowed } from "~/server/rest/handler";
import { restRoute } from "~/server/rest/routes";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const route = restRoute("GET", "/api/v1/profiles/{profileId}");

/**
 * One profile (a read key): write keys are public, so they never read profiles back. A malformed
 * escape in the id never gets here: src/proxy.ts answers it 400 before Next decodes the path.
 */
export async function GET(request: Request, context: { params: Promise<{ profileId: string }> }) {
  return handleRest(request, route, await context.params);
}

function notAllowed(request: Request) {
  return methodNotAllowed(request, "GET");
}
export { notAllowed as POST, notAllowed as PUT, notAllowed as PATCH, notAllowed as DELETE };
