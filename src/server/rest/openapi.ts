/**
 * The OpenAPI 3.1 document of the REST API, generated from the route table: request schemas are
 * the procedures' own zod inputs, answers the schemas in ./schemas, both through zod's built-in
 * z.toJSONSchema (JSON Schema 2020-12, the dialect OpenAPI 3.1 uses), so no second description
 * can drift from what the handlers accept.
 */
import { z } from "zod";
import { REST_MAX_BODY_BYTES, REST_RATE } from "./handler";
import { ingestRoutes, type IngestRoute } from "./ingest-docs";
import { pathParams, PROJECT_ID_FIELD, projectIdFieldSchema, restRoutes, type RestRoute } from "./routes";
import { errorSchema } from "./schemas";

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any", reused: "inline" }) as JsonSchema;
  return rest;
}

const ERROR_REF = { $ref: "#/components/schemas/Error" };
const errorResponse = (description: string) => ({ description, content: { "application/json": { schema: ERROR_REF } } });

/** The input as a client sends it: a project route also takes `project_id` (required with an organisation key). */
function documentedInput(route: RestRoute): z.ZodObject {
  return route.target === "project" ? route.input.extend({ [PROJECT_ID_FIELD]: projectIdFieldSchema.optional() }) : route.input;
}

/** Which keys may call a route, for people and tools reading the document. */
function keysFor(route: RestRoute): string[] {
  if (route.target === "organization") return route.kind === "procedure" && route.forProjectKey ? ["organization", "project"] : ["organization"];
  return route.scope === "manage" ? ["project", "organization"] : ["project"];
}

/** A GET's parameters: path segments, then query parameters; anything but a plain string is sent JSON-encoded. */
function parameters(route: RestRoute): JsonSchema[] {
  const object = jsonSchema(documentedInput(route), "input") as { properties?: Record<string, JsonSchema>; required?: string[] };
  const inPath = new Set(pathParams(route.path));
  return Object.entries(object.properties ?? {}).map(([name, schema]) => {
    const location = inPath.has(name) ? "path" : "query";
    const required = location === "path" || (object.required ?? []).includes(name);
    const plain = schema.type === "string";
    return plain ? { name, in: location, required, schema } : { name, in: location, required, content: { "application/json": { schema } } };
  });
}

function success(route: RestRoute) {
  if (route.kind === "procedure") {
    return { description: "OK", content: { "application/json": { schema: jsonSchema(route.response, "output") } } };
  }
  if (route.kind === "export") {
    return { description: "The rows, streamed", content: Object.fromEntries((route.produces ?? []).map((type) => [type, { schema: { type: "string" } }])) };
  }
  return errorResponse("Refused: see the summary.");
}

function operation(route: RestRoute) {
  const body = route.method === "POST" && route.kind === "procedure";
  return {
    operationId: route.id,
    summary: route.summary,
    tags: [route.path.split("/")[3] ?? "api"],
    "x-prism-scope": route.scope,
    "x-prism-keys": keysFor(route),
    security: [{ apiKey: [] }],
    ...(route.method === "GET" ? { parameters: parameters(route) } : {}),
    ...(body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(documentedInput(route), "input") } } } } : {}),
    responses: {
      [String(route.status)]: success(route),
      "401": errorResponse("No key, or an unknown or revoked one (missing_key, invalid_key)."),
      "403": errorResponse(
        `The key's kind is not ${route.scope} (insufficient_scope), or the key's role cannot do this (forbidden)` +
          (route.target === "organization" && !(route.kind === "procedure" && route.forProjectKey)
            ? ", or it is a project key (organisation_key_required)."
            : "."),
      ),
      "404": errorResponse(
        route.target === "organization" ? "Not found (not_found)." : "Not in the key's project, nor in an organisation key's organisation (not_found).",
      ),
      "422": errorResponse("The input does not match the schema (invalid_input, with issues)."),
      "429": {
        ...errorResponse("Over the key's rate limit (rate_limited); wait Retry-After seconds."),
        headers: { "Retry-After": { schema: { type: "integer" } } },
      },
    },
  };
}

/** An ingest route, authenticated by a write key (X-API-Key or Bearer). */
function ingestOperation(route: IngestRoute) {
  return {
    operationId: route.id,
    summary: route.summary,
    tags: ["ingest"],
    "x-prism-scope": "write",
    "x-prism-keys": ["project"],
    security: [{ ingestKey: [] }, { apiKey: [] }],
    requestBody: { required: true, content: { "application/json": { schema: jsonSchema(route.body, "input") } } },
    responses: Object.fromEntries(
      Object.entries(route.responses).map(([status, { description, schema }]) => [
        status,
        {
          description,
          content: { "application/json": { schema: jsonSchema(schema, "output") } },
          ...(status === "429" || status === "503" ? { headers: { "Retry-After": { schema: { type: "integer" } } } } : {}),
        },
      ]),
    ),
  };
}

export function openApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of restRoutes) (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  for (const route of ingestRoutes) (paths[route.path] ??= {})[route.method.toLowerCase()] = ingestOperation(route);
  return {
    openapi: "3.1.0",
    info: {
      title: "Prism REST API",
      version: "1",
      description: [
        "Reports, events and configuration, with the same inputs, answers and limits as the app.",
        "Authenticate with `Authorization: Bearer <key>`. A project key belongs to one project: read keys use the reports and events routes,",
        "manage keys the configuration routes, write keys only ingest (POST /api/v1/events, /events/batch, /profiles; X-API-Key or Bearer).",
        "An organisation key (a manage key created by an organisation admin) lists and creates the organisation's projects and manages",
        `the configuration of any of them, named in ${PROJECT_ID_FIELD} (a query parameter of a GET, a body field of a POST); it reads no reports or events.`,
        "x-prism-keys on each operation says which keys may call it.",
        `Rate limit per key: ${REST_RATE.perSecond} requests a second, bursts of ${REST_RATE.burst}; over it, 429 with Retry-After.`,
        `Bodies up to ${REST_MAX_BODY_BYTES} bytes. Errors are JSON: { error: <machine code>, message }.`,
        "Pagination is by cursor: pass the answer's nextCursor back as the cursor parameter (JSON-encoded).",
      ].join(" "),
    },
    servers: [{ url: "/" }],
    security: [{ apiKey: [] }],
    components: {
      securitySchemes: {
        apiKey: { type: "http", scheme: "bearer", description: "A Prism API key (ef_live_…): a project's read or manage key, or an organisation key." },
        ingestKey: { type: "apiKey", in: "header", name: "X-API-Key", description: "A project's write key (Bearer works too)." },
      },
      schemas: { Error: jsonSchema(errorSchema, "output") },
    },
    paths,
  };
}

export type OpenApiDocument = ReturnType<typeof openApiDocument>;
