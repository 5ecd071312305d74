import { restMethods } from "~/server/rest/handler";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** An organisation key's projects (a project manage key: its own), and creating one with an organisation key; see src/server/rest. */
export const { GET, POST, PUT, PATCH, DELETE } = restMethods("/api/v1/projects");
