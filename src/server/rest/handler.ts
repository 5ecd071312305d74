/**
 * The public REST API's plumbing: Bearer key → scope check → per-key rate limit → the route's
 * tRPC procedure through a server-side caller whose context is the key (never a user), and
 * TRPCError codes → HTTP statuses with JSON errors `{ error, message }`. Which project or
 * organisation a call reaches is decided by the procedures' own tenant checks (src/server/api/trpc.ts).
 */
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { ZodError, type z } from "zod";
import { RateLimiter } from "@edge/rate-limit";
import type { PrismaClient } from "~/generated/prisma/client";
import type { Logger } from "~/platform/logger";
import { resolveScopedKey, type ScopedKey } from "~/platform/resolve-key";
import { logTRPCError, requestIdOf } from "~/server/api/error-log";
import { createCaller } from "~/server/api/root";
import { createTRPCContext } from "~/server/api/trpc";
import { db } from "~/server/db";
import { streamExport } from "~/server/export-proxy";
import { appLogger } from "~/server/logger";
import { queryServiceTarget, type QueryServiceTarget } from "~/server/query-client";
import { pathParams, PROJECT_ID_FIELD, projectIdFieldSchema, restRoutes, type CustomRoute, type ProcedureRoute, type RestRoute } from "./routes";

/** Per key: 10 requests a second sustained, bursts of 100 (OpenPanel allows 100 per 10 s); per app instance. */
export const REST_RATE = { perSecond: 10, burst: 100 } as const;
/** Bodies are JSON definitions and configuration; nothing legitimate comes near this. */
export const REST_MAX_BODY_BYTES = 1024 * 1024;

export interface RestDeps {
  db: PrismaClient;
  limiter: RateLimiter;
  target: () => QueryServiceTarget;
  log: Logger;
}

// On globalThis, like the Prisma client: Next may load this module once per route bundle, and the
// limit is per key across every route.
const globalForRest = globalThis as unknown as { prismRestLimiter?: RateLimiter };

let defaults: RestDeps | undefined;
function defaultDeps(): RestDeps {
  globalForRest.prismRestLimiter ??= new RateLimiter();
  defaults ??= { db: db(), limiter: globalForRest.prismRestLimiter, target: queryServiceTarget, log: appLogger().child({ component: "rest" }) };
  return defaults;
}

class RestProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function json(status: number, body: unknown, requestId: string, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store", "x-request-id": requestId, ...headers } });
}

/** The key behind `Authorization: Bearer <key>`, or a 401. */
async function authenticate(request: Request, deps: RestDeps): Promise<ScopedKey> {
  const header = request.headers.get("authorization");
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  if (!match) throw new RestProblem(401, "missing_key", "Send an API key as `Authorization: Bearer <key>`.", { "www-authenticate": "Bearer" });
  const key = await resolveScopedKey(deps.db, match[1]!);
  if (!key) throw new RestProblem(401, "invalid_key", "Unknown or revoked API key.", { "www-authenticate": "Bearer" });
  return key;
}

function authorize(key: ScopedKey, route: RestRoute): void {
  if (key.kind !== route.scope) {
    const what =
      key.kind === "write"
        ? "A write key only sends events and profiles"
        : key.projectId === null
          ? "An organisation key only manages configuration"
          : `A ${key.kind} key cannot use this route`;
    throw new RestProblem(403, "insufficient_scope", `${what}; ${route.method} ${route.path} needs a ${route.scope} key.`);
  }
  if (route.target === "organization" && key.projectId !== null && !(route.kind === "procedure" && route.forProjectKey)) {
    throw new RestProblem(
      403,
      "organisation_key_required",
      `A project key belongs to one project; ${route.method} ${route.path} needs an organisation key (created by an organisation admin in the app).`,
    );
  }
}

const projectIdProblem = (message: string) => new RestProblem(422, "invalid_input", `${PROJECT_ID_FIELD}: ${message}`);

/**
 * The project a project route acts on, and the input without `project_id`: the key's own project,
 * or for an organisation key the one it names. A project key naming another project is passed on
 * as named, for the procedure's tenant check to answer 404 as for any project it cannot see.
 */
function targetProject(key: ScopedKey, input: Record<string, unknown>): { projectId: string; rest: Record<string, unknown> } {
  const { [PROJECT_ID_FIELD]: named, ...rest } = input;
  if (named === undefined) {
    if (key.projectId === null) throw projectIdProblem("An organisation key names the project in project_id.");
    return { projectId: key.projectId, rest };
  }
  const parsed = projectIdFieldSchema.safeParse(named);
  if (!parsed.success) throw projectIdProblem("A project id is a string of 1 to 64 characters.");
  return { projectId: parsed.data, rest };
}

function limit(key: ScopedKey, deps: RestDeps): void {
  const waitMs = deps.limiter.take(key.keyId, REST_RATE.perSecond, REST_RATE.burst);
  if (waitMs > 0) {
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    throw new RestProblem(
      429,
      "rate_limited",
      `Over ${REST_RATE.burst} requests in a burst or ${REST_RATE.perSecond} a second for this key; retry in ${seconds} s.`,
      {
        "retry-after": String(seconds),
      },
    );
  }
}

/** The schema under optional/default/nullable wrappers, to tell a plain-string query parameter from a JSON-encoded one. */
function innermost(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let depth = 0; depth < 10; depth++) {
    const inner = (current.def as { innerType?: z.ZodType }).innerType;
    if (!inner) break;
    current = inner;
  }
  return current;
}

/** A GET's input: path parameters as strings; query parameters as strings where the schema wants one, else JSON (numbers, objects). */
function queryInput(request: Request, route: RestRoute, params: Record<string, string>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [name, raw] of new URL(request.url).searchParams) {
    const field = route.input.shape[name] as z.ZodType | undefined;
    const type = field ? innermost(field).def.type : "unknown";
    // Unknown names go through as text, for the procedure's strict input to refuse by name.
    if (!field || type === "string" || type === "enum" || type === "literal") input[name] = raw;
    else {
      try {
        input[name] = JSON.parse(raw);
      } catch {
        throw new RestProblem(400, "malformed_parameter", `Query parameter ${name.slice(0, 64)} must be JSON (a number, true/false, or a URL-encoded object).`);
      }
    }
  }
  for (const name of pathParams(route.path)) input[name] = params[name];
  return input;
}

async function bodyInput(request: Request): Promise<Record<string, unknown>> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > REST_MAX_BODY_BYTES) throw new RestProblem(413, "payload_too_large", `Request body over ${REST_MAX_BODY_BYTES} bytes.`);
  // A client that drops the connection mid-body fails the read: a 400 like any broken body, not a
  // thrown error that the server would log (and try to answer 500) for the client's own doing.
  const text = await request.text().catch(() => {
    throw new RestProblem(400, "malformed_json", "The request body ended before it was complete.");
  });
  if (Buffer.byteLength(text) > REST_MAX_BODY_BYTES) throw new RestProblem(413, "payload_too_large", `Request body over ${REST_MAX_BODY_BYTES} bytes.`);
  if (text.trim() === "") return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new RestProblem(400, "malformed_json", "The body is not valid JSON.");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new RestProblem(400, "malformed_json", "The body must be a JSON object.");
  return body as Record<string, unknown>;
}

function keyCaller(key: ScopedKey, deps: RestDeps) {
  return createCaller(createTRPCContext({ user: null, apiKey: key, db: deps.db }));
}

/** Calls a procedure by its dotted path on a caller (the route table is checked against the router at load). */
function callProcedure(caller: ReturnType<typeof createCaller>, path: string, input: Record<string, unknown>): Promise<unknown> {
  const procedure = path.split(".").reduce<unknown>((node, segment) => (node as Record<string, unknown>)[segment], caller);
  return (procedure as (input: unknown) => Promise<unknown>)(input);
}

/** A TRPCError as the REST answer: tRPC's own status, except that invalid input is 422 and names each problem. */
function fromTRPCError(error: TRPCError, requestId: string): Response {
  if (error.cause instanceof ZodError) {
    const issues = error.cause.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
    const first = issues[0];
    return json(422, { error: "invalid_input", message: first ? `${first.path || "input"}: ${first.message}` : "Invalid input.", issues }, requestId);
  }
  const status = getHTTPStatusCodeFromError(error);
  const message = status >= 500 && error.code === "INTERNAL_SERVER_ERROR" ? `Something went wrong; quote request id ${requestId}.` : error.message;
  return json(status, { error: error.code.toLowerCase(), message, ...(status >= 500 ? { requestId } : {}) }, requestId);
}

async function runProcedure(route: ProcedureRoute, key: ScopedKey, input: Record<string, unknown>, deps: RestDeps): Promise<unknown> {
  const caller = keyCaller(key, deps);
  if (route.target === "organization") {
    if (key.projectId === null) {
      const result = await callProcedure(caller, route.procedure, { ...input, orgId: key.organizationId });
      return route.answer ? route.answer(result) : result;
    }
    // authorize() let a project key through only where the route has an answer for it.
    const fallback = route.forProjectKey!;
    return fallback.answer(await callProcedure(caller, fallback.procedure, { ...input, projectId: key.projectId }));
  }
  const { projectId, rest } = targetProject(key, input);
  const result = await callProcedure(caller, route.procedure, { ...rest, projectId });
  return route.answer ? route.answer(result) : result;
}

async function runCustom(route: CustomRoute, key: ScopedKey, input: Record<string, unknown>, request: Request, deps: RestDeps): Promise<Response> {
  const target = targetProject(key, input);
  const projectId = target.projectId;
  const parsed = route.input.safeParse(target.rest);
  if (!parsed.success) throw new TRPCError({ code: "BAD_REQUEST", cause: parsed.error });
  const { reportId, format } = parsed.data as { reportId: string; format: "csv" | "ndjson" | "json" };
  // The same procedures as the app reads: the saved report of this project, and its time zone.
  const caller = keyCaller(key, deps);
  const [reports, project] = await Promise.all([caller.savedReports.list({ projectId }), caller.projects.get({ projectId })]);
  const report = reports.find((candidate) => candidate.id === reportId);
  if (!report) throw new TRPCError({ code: "NOT_FOUND", message: "Saved report not found." });
  if (!report.spec)
    throw new TRPCError({ code: "UNPROCESSABLE_CONTENT", message: "This saved report no longer parses; open it in the app and save it again." });
  return streamExport({
    project,
    body: { format, source: { kind: "report", report: report.spec } },
    target: deps.target(),
    signal: request.signal,
    db: deps.db,
  });
}

/** Answers one REST request for `route`; `params` are the URL's path parameters. */
export async function handleRest(request: Request, route: RestRoute, params: Record<string, string> = {}, deps: RestDeps = defaultDeps()): Promise<Response> {
  const requestId = requestIdOf(request);
  try {
    const key = await authenticate(request, deps);
    limit(key, deps);
    authorize(key, route);
    const input = route.method === "GET" ? queryInput(request, route, params) : await bodyInput(request);
    // The tenant id of the procedures is never taken from the request: a project is named as project_id.
    if ("projectId" in input) {
      const message = `The project is the key's own; leave projectId out (an organisation key names it in ${PROJECT_ID_FIELD}).`;
      return json(422, { error: "invalid_input", message: `projectId: ${message}`, issues: [{ path: "projectId", message }] }, requestId);
    }
    if (route.kind !== "procedure") {
      const response = await runCustom(route, key, input, request, deps);
      response.headers.set("x-request-id", requestId);
      return response;
    }
    return json(route.status, await runProcedure(route, key, input, deps), requestId);
  } catch (error) {
    if (error instanceof RestProblem) return json(error.status, { error: error.code, message: error.message }, requestId, error.headers);
    const trpcError = error instanceof TRPCError ? error : new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: error });
    logTRPCError(deps.log, { error: trpcError, path: `${route.method} ${route.path}`, type: "rest", requestId });
    return fromTRPCError(trpcError, requestId);
  }
}

/** 405 for a method a REST path does not serve, with Allow. */
export function methodNotAllowed(request: Request, allow: string): Response {
  return json(405, { error: "method_not_allowed", message: `${request.method.slice(0, 32)} is not served here; use ${allow}.` }, requestIdOf(request), {
    allow,
  });
}

type RouteHandler = (request: Request) => Promise<Response> | Response;

/**
 * A route module's handlers for one REST path without path parameters: each method the route
 * table lists for `path` answers through handleRest, every other method 405 with Allow.
 */
export function restMethods(path: string): Record<"GET" | "POST" | "PUT" | "PATCH" | "DELETE", RouteHandler> {
  const served = restRoutes.filter((route) => route.path === path);
  if (served.length === 0) throw new Error(`No REST route at ${path}`);
  const allow = served.map((route) => route.method).join(", ");
  const handler = (method: string): RouteHandler => {
    const route = served.find((candidate) => candidate.method === method);
    return route ? (request) => handleRest(request, route) : (request) => methodNotAllowed(request, allow);
  };
  return { GET: handler("GET"), POST: handler("POST"), PUT: handler("PUT"), PATCH: handler("PATCH"), DELETE: handler("DELETE") };
}
