/**
 * The query service's inputs (workers/query), declared once for both sides of the call. The
 * worker's router validates `queryServiceInputs`; the app's routers take `queryInputs` from the
 * browser and add the tenant fields themselves (the projectId their tenant-checked procedure
 * authorised, the project's time zone), so neither side can drift from the other.
 */
import { z } from "zod";
import { VIOLATION_TYPES } from "~/core/events";
import { cohortIdSchema, cohortMemberIdSchema, MAX_STATIC_MEMBERS, resolvedCohortSchema, resolvedCohortsSchema } from "~/core/cohorts";
import {
  eventCursorSchema,
  eventFilterSchema,
  funnelDefinitionSchema,
  pathsDefinitionSchema,
  queryDefinitionSchema,
  reportSpecSchema,
  retentionDefinitionSchema,
  segmentDefinitionSchema,
  timeZoneSchema,
  trendDefinitionSchema,
} from "~/core/reports";

export const projectIdSchema = z.string().min(1).max(64);

/** The consumers that dead-letter a record they cannot handle (workers/poison); ingest's refusals have stage "ingest" in the list. */
export const POISON_STAGES = ["processor", "sink", "actions", "webhooks"] as const;

const limit = (max: number, fallback: number) => z.number().int().min(1).max(max).default(fallback);
const idList = z.array(z.string().min(1).max(200)).min(1).max(100);
const profileId = z.string().min(1).max(256);

/** A profile property name, dots for nesting: the key rule of report fields (src/core/reports), so the worker can split it safely. */
export const profileKeySchema = z
  .string()
  .max(300)
  .regex(/^[A-Za-z_$][A-Za-z0-9_$-]{0,63}(\.[A-Za-z_$][A-Za-z0-9_$-]{0,63}){0,3}$/, "A profile property name: letters, digits, _ $ -, dots for nesting.");

/** true: compute the report again rather than answer from the query service's report cache (the refresh button). */
const fresh = z.boolean().optional();

/** What a caller chooses, per procedure of the service's router; the tenant fields are not among them. */
export const queryInputs = {
  report: {
    query: { definition: queryDefinitionSchema, fresh },
    trend: { definition: trendDefinitionSchema, fresh },
    funnel: { definition: funnelDefinitionSchema, fresh },
    segment: { definition: segmentDefinitionSchema, fresh },
    retention: { definition: retentionDefinitionSchema, fresh },
    paths: { definition: pathsDefinitionSchema, fresh },
  },
  events: {
    list: {
      filter: eventFilterSchema.default({ events: [], filters: [] }),
      cursor: eventCursorSchema.nullable().default(null),
      limit: limit(200, 50),
    },
    get: { eventId: z.string().min(1).max(128) },
    tail: {
      after: z
        .strictObject({ receivedAt: z.iso.datetime({ offset: true }), eventId: z.string().min(1).max(128) })
        .nullable()
        .default(null),
      limit: limit(200, 50),
    },
  },
  profiles: {
    search: {
      prefix: z.string().max(256).optional(),
      prop: z.strictObject({ key: profileKeySchema, value: z.string().max(2000) }).optional(),
      cursor: z.string().max(256).nullable().default(null),
      limit: limit(200, 50),
    },
    get: { profileId },
    timeline: { profileId, cursor: eventCursorSchema.nullable().default(null), limit: limit(200, 50) },
  },
  triggers: {
    firings: {
      triggerId: z.string().min(1).max(64),
      cursor: z
        .strictObject({ eventAt: z.iso.datetime({ offset: true }), firingId: z.string().min(1).max(200) })
        .nullable()
        .default(null),
      limit: limit(200, 50),
    },
    /** A page of the rule backtest's events: whole persons after `after` (the previous page's last group key), at least `limit` events. */
    backtestEvents: {
      from: z.iso.datetime({ offset: true }),
      to: z.iso.datetime({ offset: true }),
      after: z.string().min(1).max(300).nullable().default(null),
      limit: limit(50_000, 10_000),
    },
  },
  cohorts: {
    /** A page of a cohort's persons, in id order after `cursor`. */
    members: { cursor: z.string().max(256).nullable().default(null), limit: limit(200, 50) },
  },
  deadLetters: {
    list: {
      reason: z.enum(VIOLATION_TYPES).nullable().default(null),
      /** "ingest" for ingest's refusals, else the consumer that could not handle the record. */
      stage: z
        .enum(["ingest", ...POISON_STAGES])
        .nullable()
        .default(null),
      cursor: z
        .strictObject({ receivedAt: z.iso.datetime({ offset: true }), dlqId: z.string().min(1).max(200) })
        .nullable()
        .default(null),
      limit: limit(200, 50),
    },
    /** discard: up to 100 letters at a time. */
    ids: { ids: idList },
  },
} as const;

const tenant = { projectId: projectIdSchema };
/** The cohorts a report names, resolved by the app from the report's project (src/core/cohorts.ts). */
const withCohorts = { cohorts: resolvedCohortsSchema };
const cohort = { cohort: resolvedCohortSchema };
/** Calendar-bound procedures also take the project's time zone, which the app reads from the project. */
const zoned = { projectId: projectIdSchema, timezone: timeZoneSchema };

/** The service's inputs: each procedure's fields with the tenant's, as one strict object (unknown keys refused). */
export const queryServiceInputs = {
  report: {
    query: z.strictObject({ ...tenant, ...queryInputs.report.query, ...withCohorts }),
    trend: z.strictObject({ ...zoned, ...queryInputs.report.trend, ...withCohorts }),
    funnel: z.strictObject({ ...zoned, ...queryInputs.report.funnel, ...withCohorts }),
    segment: z.strictObject({ ...tenant, ...queryInputs.report.segment, ...withCohorts }),
    retention: z.strictObject({ ...zoned, ...queryInputs.report.retention, ...withCohorts }),
    paths: z.strictObject({ ...tenant, ...queryInputs.report.paths, ...withCohorts }),
  },
  events: {
    list: z.strictObject({ ...tenant, ...queryInputs.events.list }),
    get: z.strictObject({ ...tenant, ...queryInputs.events.get }),
    tail: z.strictObject({ ...tenant, ...queryInputs.events.tail }),
  },
  profiles: {
    search: z.strictObject({ ...tenant, ...queryInputs.profiles.search }),
    get: z.strictObject({ ...tenant, ...queryInputs.profiles.get }),
    timeline: z.strictObject({ ...tenant, ...queryInputs.profiles.timeline }),
  },
  stats: {
    keyNumbers: z.strictObject(zoned),
    firingsToday: z.strictObject(zoned),
  },
  triggers: {
    firings: z.strictObject({ ...tenant, ...queryInputs.triggers.firings }),
    backtestEvents: z.strictObject({ ...tenant, ...queryInputs.triggers.backtestEvents }),
  },
  cohorts: {
    count: z.strictObject({ ...tenant, ...cohort }),
    members: z.strictObject({ ...tenant, ...cohort, ...queryInputs.cohorts.members }),
    /** Every id naming a member (persons and ids merged into them): the worker's rule cache. */
    memberIds: z.strictObject({ ...tenant, ...cohort }),
    /** Replaces a static cohort's members; the app parsed, deduplicated and counted them. */
    setStaticMembers: z.strictObject({ ...tenant, cohortId: cohortIdSchema, ids: z.array(cohortMemberIdSchema).max(MAX_STATIC_MEMBERS) }),
    deleteMembers: z.strictObject({ ...tenant, cohortId: cohortIdSchema }),
  },
  deadLetters: {
    list: z.strictObject({ ...tenant, ...queryInputs.deadLetters.list }),
    ids: z.strictObject({ ...tenant, ...queryInputs.deadLetters.ids }),
  },
};

export const EXPORT_FORMATS = ["csv", "ndjson", "json"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** What the browser may send to the export route: the project id comes from the URL and is checked, never from the body. */
export const exportBodySchema = z.strictObject({
  format: z.enum(EXPORT_FORMATS),
  source: z.discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("events"), filter: eventFilterSchema.default({ events: [], filters: [] }) }),
    z.strictObject({ kind: z.literal("report"), report: reportSpecSchema }),
  ]),
});

/** POST /query-export: the body with the tenant fields the app fills in server-side. */
export const exportRequestSchema = z.strictObject({
  projectId: projectIdSchema,
  timezone: timeZoneSchema.default("UTC"),
  ...exportBodySchema.shape,
  cohorts: resolvedCohortsSchema,
});
export type ExportRequest = z.input<typeof exportRequestSchema>;
