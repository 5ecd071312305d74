import { restMethods } from "~/server/rest/handler";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** The project's attribute definitions (a manage key; see src/server/rest). */
export const { GET, POST, PUT, PATCH, DELETE } = restMethods("/api/v1/attributes");
