/**
 * What the public REST API answers, as zod schemas: the OpenAPI document is generated from them
 * and the contract test checks every route's real answer against them. The shapes are the tRPC
 * procedures' answers (src/core/reports for the query service's results), JSON-encoded.
 */
import { z } from "zod";
import { API_KEY_KINDS } from "~/core/api-keys";
import type { EventDetail, EventRow, FunnelResult, PathsResult, QueryResult, SegmentResult } from "~/core/reports";

const timestamp = z.iso.datetime({ offset: true });
const nullableNumber = z.number().nullable();
const record = z.record(z.string(), z.unknown());

/** Every error: a machine-readable code (e.g. "invalid_input", "insufficient_scope", "rate_limited") and a sentence for people. */
export const errorSchema = z.object({
  error: z.string(),
  message: z.string(),
  /** For invalid_input: where and what, per problem. */
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  requestId: z.string().optional(),
});

/** Every report answer says when it was computed and whether it came from the query service's cache (send `fresh: true` to bypass it). */
const computed = { computedAt: timestamp, cached: z.boolean() };

export const queryResultSchema = z.object({
  columns: z.array(z.string()),
  rows: z.array(z.object({ groups: z.array(z.string().nullable()), value: nullableNumber })),
  truncated: z.boolean(),
  ...computed,
}) satisfies z.ZodType<QueryResult>;

export const trendResultSchema = z.object({
  buckets: z.array(z.string()),
  series: z.array(
    z.object({
      label: z.string(),
      values: z.array(nullableNumber),
      total: nullableNumber,
      // Loose: the comparison gains fields as reports grow (e.g. which period it compares against).
      previous: z
        .looseObject({ buckets: z.array(z.string()), values: z.array(nullableNumber), total: nullableNumber, changePercent: nullableNumber })
        .nullable(),
    }),
  ),
  ...computed,
});

const funnelStep = z.object({
  label: z.string(),
  count: z.number(),
  conversionFromStart: z.number(),
  conversionFromPrevious: z.number(),
  dropOff: z.number(),
  medianSecondsFromPrevious: nullableNumber,
});
export const funnelResultSchema = z.object({
  steps: z.array(funnelStep),
  breakdown: z.array(z.object({ value: z.string().nullable(), steps: z.array(funnelStep) })).nullable(),
  overTime: z.array(z.object({ bucket: z.string(), started: z.number(), completed: z.number(), conversion: z.number() })),
  ...computed,
}) satisfies z.ZodType<FunnelResult>;

export const segmentResultSchema = z.object({
  rows: z.array(z.object({ value: z.string().nullable(), result: nullableNumber })),
  other: nullableNumber,
  total: nullableNumber,
  ...computed,
}) satisfies z.ZodType<SegmentResult>;

export const pathsResultSchema = z.object({
  persons: z.number(),
  paths: z.array(z.object({ steps: z.array(z.string()), count: z.number() })),
  other: z.number(),
  ...computed,
}) satisfies z.ZodType<PathsResult>;

const eventRow = z.object({
  eventId: z.string(),
  eventName: z.string(),
  profileId: z.string().nullable(),
  ts: z.string(),
  receivedAt: z.string(),
  browser: z.string().nullable(),
  os: z.string().nullable(),
  deviceType: z.string().nullable(),
  country: z.string().nullable(),
  props: record,
}) satisfies z.ZodType<EventRow>;

/** A page of events, newest first; send `nextCursor` back (JSON-encoded) as `cursor` for the next page. */
export const eventPageSchema = z.object({
  items: z.array(eventRow),
  nextCursor: z.object({ ts: z.string(), eventId: z.string() }).nullable(),
});

export const eventDetailSchema = eventRow.extend({
  ctx: record,
  profileProps: record,
  violations: z.array(z.unknown()).nullable(),
}) satisfies z.ZodType<EventDetail>;

/** A profile's latest state, its last changes and its activity (the profiles browser's answer). */
export const profileDetailSchema = z.object({
  profileId: z.string(),
  props: record,
  createdAt: timestamp,
  updatedAt: timestamp,
  recentChanges: z.array(z.object({ changeId: z.string(), changedAt: timestamp, set: record, setOnce: record, unset: z.array(z.string()) })),
  eventCount: z.number(),
  firstSeen: timestamp.nullable(),
  lastSeen: timestamp.nullable(),
});

export const projectSchema = z.object({
  id: z.string(),
  name: z.string(),
  timezone: z.string(),
  dataRetentionDays: z.number(),
  maxCustomAttributes: z.number(),
  allowedEventNames: z.array(z.string()),
  planEnforcement: z.string(),
  rateLimitPerSecond: z.number(),
  archivedAt: timestamp.nullable(),
  createdAt: timestamp,
  organization: z.object({ id: z.string(), name: z.string() }),
  /** The role the key acts with: viewer for read keys, admin for manage keys. */
  role: z.string(),
});

const triggerAction = z.looseObject({ type: z.string() });
export const triggerSchema = z.object({
  id: z.string(),
  name: z.string(),
  rule: z.string(),
  actions: z.array(triggerAction),
  enabled: z.boolean(),
  cooldownSeconds: z.number(),
  version: z.number(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
/** As listed: with the problems of a rule that stopped checking (an attribute it reads was deleted). */
export const listedTriggerSchema = triggerSchema.extend({ ruleProblems: z.array(z.looseObject({ message: z.string() })) });

export const ruleTestSchema = z.object({ result: z.boolean(), error: z.string().optional(), actionsThatWouldRun: z.array(triggerAction) });

export const attributeSchema = z.object({
  id: z.string(),
  entity: z.string(),
  name: z.string(),
  type: z.string(),
  itemsType: z.string().nullable(),
  indexed: z.boolean(),
});
export const attributeListSchema = z.object({ attributes: z.array(attributeSchema), maxCustomAttributes: z.number() });
export const createdAttributeSchema = z.object({ id: z.string(), entity: z.string(), name: z.string() });

export const apiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  kind: z.enum(API_KEY_KINDS),
  createdAt: timestamp,
  lastUsedAt: timestamp.nullable(),
  revokedAt: timestamp.nullable(),
  status: z.enum(["active", "revoked"]),
});
/** The secret appears in this answer only: store it now. */
export const createdApiKeySchema = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  kind: z.enum(API_KEY_KINDS),
  createdAt: timestamp,
  secret: z.string(),
});
