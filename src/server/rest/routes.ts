/**
 * The public REST API's routes: each one is a door onto one tRPC procedure, called with the key's
 * project (or, for an organisation key, the project named by `project_id`; or the key's
 * organisation) and the procedure's own input schema, so the UI and a script get the same
 * validation, answers and limits. The OpenAPI document (./openapi.ts) and the handlers
 * (./handler.ts) both read this table.
 */
import { z } from "zod";
import { EXPORT_FORMATS } from "~/contracts/query-service";
import { appRouter } from "~/server/api/root";
import {
  apiKeySchema,
  attributeListSchema,
  createdApiKeySchema,
  createdAttributeSchema,
  eventDetailSchema,
  eventPageSchema,
  funnelResultSchema,
  listedTriggerSchema,
  pathsResultSchema,
  profileDetailSchema,
  projectSchema,
  queryResultSchema,
  ruleTestSchema,
  segmentResultSchema,
  triggerSchema,
  trendResultSchema,
} from "./schemas";

/** What a key must be to use a route: read for reports and events, manage for configuration. Write keys only ingest. */
export type RestScope = "read" | "manage";

/**
 * What a route acts on. `project`: one project, the key's own, or with an organisation key the one
 * named by `project_id` (a query parameter of a GET, a body field of a POST; it must be a project
 * of the key's organisation). `organization`: the organisation key's organisation.
 */
export type RestTarget = "project" | "organization";

/** The name of the field that names a project for an organisation key; a project key may omit it. */
export const PROJECT_ID_FIELD = "project_id";
export const projectIdFieldSchema = z
  .string()
  .min(1)
  .max(64)
  .describe("The project: required with an organisation key (any project of its organisation); a project key may leave it out or name its own project.");

interface BaseRoute {
  /** The OpenAPI operationId. */
  id: string;
  method: "GET" | "POST";
  /** OpenAPI path; `{name}` segments are path parameters. */
  path: string;
  scope: RestScope;
  target: RestTarget;
  summary: string;
}

/** A route that calls one procedure and answers JSON. */
export interface ProcedureRoute extends BaseRoute {
  kind: "procedure";
  /** The tRPC procedure, e.g. "reports.funnel"; called with `projectId` (project routes) or `orgId` (organisation routes). */
  procedure: string;
  /** The procedure's input without the tenant id (filled in from the key): the body, or the query and path parameters of a GET. */
  input: z.ZodObject;
  status: 200 | 201;
  response: z.ZodType;
  /** How the answer is shaped from the procedure's (defaults to as is). */
  answer?: (result: unknown) => unknown;
  /**
   * An organisation route's answer to a project key, which has no organisation to act on: another
   * procedure of its own project, shaped to the same response; absent, project keys are refused (403).
   */
  forProjectKey?: { procedure: string; answer: (result: unknown) => unknown };
}

/** A route answered without a procedure: the export stream. */
export interface CustomRoute extends BaseRoute {
  kind: "export";
  input: z.ZodObject;
  status: number;
  response: z.ZodType | null;
  /** The answer's media types, for the OpenAPI document. */
  produces?: readonly string[];
}

export type RestRoute = ProcedureRoute | CustomRoute;

type AnyProcedureDef = { _def: { inputs: unknown[] } };

/** The input schema a procedure validates (projectProcedure's or orgKeyProcedure's strict object), minus the tenant id the key supplies. */
export function procedureInput(path: string): z.ZodObject {
  const procedure = (appRouter._def.procedures as unknown as Record<string, AnyProcedureDef | undefined>)[path];
  const [input] = procedure?._def.inputs ?? [];
  if (!(input instanceof z.ZodObject)) throw new Error(`No object input on procedure ${path}`);
  if ("projectId" in input.shape) return input.omit({ projectId: true });
  return "orgId" in input.shape ? input.omit({ orgId: true }) : input;
}

function call(route: Omit<ProcedureRoute, "kind" | "input" | "status" | "target"> & { status?: 200 | 201; target?: RestTarget }): ProcedureRoute {
  return { kind: "procedure", status: 200, target: "project", input: procedureInput(route.procedure), ...route };
}

const reportsPath = (name: string) => `/api/v1/reports/${name}`;

export const restRoutes: RestRoute[] = [
  call({
    id: "reportQuery",
    method: "POST",
    path: reportsPath("query"),
    scope: "read",
    summary: "A general query: an aggregation grouped by fields.",
    procedure: "reports.query",
    response: queryResultSchema,
  }),
  call({
    id: "reportFunnel",
    method: "POST",
    path: reportsPath("funnel"),
    scope: "read",
    summary: "A funnel: conversion through ordered steps.",
    procedure: "reports.funnel",
    response: funnelResultSchema,
  }),
  call({
    id: "reportTrend",
    method: "POST",
    path: reportsPath("trend"),
    scope: "read",
    summary: "A trend: series bucketed by interval in the project's time zone.",
    procedure: "reports.trend",
    response: trendResultSchema,
  }),
  call({
    id: "reportSegment",
    method: "POST",
    path: reportsPath("segment"),
    scope: "read",
    summary: "A segmentation: an aggregation per value of one field.",
    procedure: "reports.segment",
    response: segmentResultSchema,
  }),
  call({
    id: "reportPaths",
    method: "POST",
    path: reportsPath("paths"),
    scope: "read",
    summary: "Paths: the most common sequences of events after or before an event, one per person from their first time doing it.",
    procedure: "reports.paths",
    response: pathsResultSchema,
  }),
  {
    kind: "export",
    id: "reportExport",
    method: "GET",
    path: "/api/v1/reports/export/{reportId}",
    scope: "read",
    target: "project",
    summary: "Streams a saved report's rows as CSV, NDJSON or JSON (the rows are not buffered).",
    input: z.strictObject({ reportId: z.string().min(1).max(64), format: z.enum(EXPORT_FORMATS).default("csv") }),
    status: 200,
    response: null,
    produces: ["text/csv", "application/x-ndjson", "application/json"],
  },
  call({
    id: "eventList",
    method: "GET",
    path: "/api/v1/events",
    scope: "read",
    summary: "Events, newest first, a page at a time: pass the answer's nextCursor back as cursor (JSON-encoded) for the next page.",
    procedure: "events.list",
    response: eventPageSchema,
  }),
  call({
    id: "eventGet",
    method: "GET",
    path: "/api/v1/events/{eventId}",
    scope: "read",
    summary: "One event with its context and the profile's properties.",
    procedure: "events.get",
    response: eventDetailSchema,
  }),
  call({
    id: "profileGet",
    method: "GET",
    path: "/api/v1/profiles/{profileId}",
    scope: "read",
    summary: "One profile's latest properties, its recent changes and its activity.",
    procedure: "profiles.get",
    response: profileDetailSchema,
  }),
  call({
    id: "projectList",
    method: "GET",
    path: "/api/v1/projects",
    scope: "manage",
    target: "organization",
    summary:
      "With an organisation key, the organisation's projects (archived ones last); with a project manage key, its one project, as a list. `role` is the role the key acts with.",
    procedure: "projects.listForOrg",
    response: z.array(projectSchema),
    // An organisation key acts as admin on each of its organisation's projects.
    answer: (projects) => (projects as object[]).map((project) => ({ ...project, role: "admin" })),
    forProjectKey: { procedure: "projects.get", answer: (project) => [project] },
  }),
  call({
    id: "projectCreate",
    method: "POST",
    path: "/api/v1/projects",
    scope: "manage",
    target: "organization",
    summary: "Creates a project in the organisation key's organisation. Project keys cannot (403 organisation_key_required).",
    procedure: "projects.create",
    status: 201,
    response: projectSchema.omit({ role: true }),
  }),
  call({
    id: "triggerList",
    method: "GET",
    path: "/api/v1/triggers",
    scope: "manage",
    summary: "The project's triggers, newest first.",
    procedure: "triggers.list",
    response: z.array(listedTriggerSchema),
  }),
  call({
    id: "triggerCreate",
    method: "POST",
    path: "/api/v1/triggers",
    scope: "manage",
    summary: "Creates a trigger; the rule must check against the project's attributes.",
    procedure: "triggers.create",
    status: 201,
    response: triggerSchema,
  }),
  call({
    id: "triggerTest",
    method: "POST",
    path: "/api/v1/triggers/test",
    scope: "manage",
    summary: "Evaluates a rule on a sample event and profile; changes nothing.",
    procedure: "triggers.test",
    response: ruleTestSchema,
  }),
  call({
    id: "attributeList",
    method: "GET",
    path: "/api/v1/attributes",
    scope: "manage",
    summary: "The project's attribute definitions and how many it may have.",
    procedure: "trackingPlan.get",
    response: attributeListSchema,
    answer: (plan) => {
      const { attributes, maxCustomAttributes } = plan as z.infer<typeof attributeListSchema>;
      return { attributes, maxCustomAttributes };
    },
  }),
  call({
    id: "attributeCreate",
    method: "POST",
    path: "/api/v1/attributes",
    scope: "manage",
    summary: "Defines an attribute.",
    procedure: "trackingPlan.createAttribute",
    status: 201,
    response: createdAttributeSchema,
  }),
  call({
    id: "apiKeyList",
    method: "GET",
    path: "/api/v1/api-keys",
    scope: "manage",
    summary: "The project's keys (never their secrets).",
    procedure: "apiKeys.list",
    response: z.array(apiKeySchema),
  }),
  call({
    id: "apiKeyCreate",
    method: "POST",
    path: "/api/v1/api-keys",
    scope: "manage",
    summary: "Creates a write or read key of the project; the secret is in this answer only. Manage keys are created in the app, by a person.",
    procedure: "apiKeys.create",
    status: 201,
    response: createdApiKeySchema,
  }),
];

/** The route for a method and OpenAPI path, as the Next route modules name them. */
export function restRoute(method: RestRoute["method"], path: string): RestRoute {
  const route = restRoutes.find((candidate) => candidate.method === method && candidate.path === path);
  if (!route) throw new Error(`No REST route ${method} ${path}`);
  return route;
}

/** The path parameter names of an OpenAPI path. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
}
