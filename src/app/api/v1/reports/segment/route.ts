import { restMethods } from "~/server/rest/handler";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** The REST door onto reports.segment (a read key; see src/server/rest). */
export const { GET, POST, PUT, PATCH, DELETE } = restMethods("/api/v1/reports/segment");
