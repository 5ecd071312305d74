import { restMethods } from "~/server/rest/handler";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Evaluates a rule on a sample event (a manage key). */
export const { GET, POST, PUT, PATCH, DELETE } = restMethods("/api/v1/triggers/test");
