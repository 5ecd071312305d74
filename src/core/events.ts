import { z } from "zod";
import { CONTEXT_LIMITS, STORABLE_LIMITS, storableProblem, storableStringProblem } from "./storable";

/** JSON values as they travel: no undefined, no functions, no prototypes. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

// Field lengths come from ./storable, where ingest reads them too.
export const eventContextSchema = z.object({
  ip: z.string().max(CONTEXT_LIMITS.ip).optional(),
  user_agent: z.string().max(CONTEXT_LIMITS.user_agent).optional(),
  locale: z.string().max(CONTEXT_LIMITS.locale).optional(),
  device_type: z.string().max(CONTEXT_LIMITS.device_type).optional(),
  os: z.string().max(CONTEXT_LIMITS.os).optional(),
  app_version: z.string().max(CONTEXT_LIMITS.app_version).optional(),
  country: z.string().max(CONTEXT_LIMITS.country).optional(),
  region: z.string().max(CONTEXT_LIMITS.region).optional(),
  city: z.string().max(CONTEXT_LIMITS.city).optional(),
  session_id: z.string().max(CONTEXT_LIMITS.session_id).optional(),
  source_format: z.enum(["internal", "tracking", "segment"]).optional(),
});
export type EventContext = z.infer<typeof eventContextSchema>;

/** Why ingest refused an input (or flagged it in observe mode); `unstorable_value` names a value no stage can store. */
export const VIOLATION_TYPES = ["unplanned_event", "required_missing", "datatype_mismatch", "additional_properties", "malformed", "unstorable_value"] as const;

const isJsonObject = (value: unknown) => typeof value === "object" && value !== null && !Array.isArray(value);

/** A JSON object every stage can store (./storable), in the form ingest stores it. */
export const storableJsonObject = z.custom<JsonObject>(isJsonObject, "must be a JSON object").superRefine((value, ctx) => {
  const problem = storableProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: `${problem.path || "the object"} ${problem.message}` });
});

/** The internal form, as produced to `event.raw` and trusted by the worker. */
export const internalEventSchema = z.object({
  type: z.literal("event"),
  event_id: z.string().min(1).max(128),
  project_id: z.string().min(1).max(64),
  event_name: z.string().min(1).max(128),
  cts: z.number().int(),
  sts: z.number().int(),
  profile_id: z.string().min(1).max(256).nullable(),
  props: storableJsonObject,
  ctx: eventContextSchema,
  /** Tracking-plan violations of an event accepted in observe mode. */
  violations: z
    .array(
      z.object({
        type: z.enum(VIOLATION_TYPES),
        field: z.string().optional(),
        message: z.string(),
      }),
    )
    .optional(),
  /**
   * Set by an import (src/core/ingest/import), never by a client: a past event. The processor runs
   * no rules on it unless `fire_actions`; the sink de-duplicates it by event time as well.
   */
  backfill: z.object({ job_id: z.string().min(1).max(64), fire_actions: z.boolean() }).optional(),
});
export type InternalEvent = z.infer<typeof internalEventSchema>;

/** A profile create-or-update, on `event.raw` beside events so per-profile order holds. */
export const profileRecordSchema = z.object({
  type: z.literal("profile"),
  event_id: z.string().min(1).max(128),
  project_id: z.string().min(1).max(64),
  profile_id: z.string().min(1).max(256),
  sts: z.number().int(),
  /** `set` overwrites keys; `set_once` only fills missing ones; `unset` removes keys. */
  set: storableJsonObject,
  set_once: storableJsonObject,
  unset: z.array(z.string().max(STORABLE_LIMITS.maxKeyLength)),
  /** Tags to add to the profile's `tags` list (the tag_profile action); absent from ingest. */
  add_tags: z.array(z.string().max(100)).max(100).optional(),
  /**
   * Merge the person of `from` into this profile's person (src/core/identity.ts): set by an identify
   * that names the anonymous id it replaces, or (explicit) by an admin's merge of two known ids.
   */
  merge: z.object({ from: z.string().min(1).max(256), explicit: z.boolean() }).optional(),
});
export type ProfileRecord = z.infer<typeof profileRecordSchema>;

export const rawRecordSchema = z.discriminatedUnion("type", [internalEventSchema, profileRecordSchema]);

/**
 * For pipeline records that came out of JSON.parse: their values are JSON by construction, so only
 * the shape of an object is checked. z.json() walks every nested value, which costs more than all
 * the rest of the processor's work on an event.
 */
export const parsedJsonObject = z.custom<JsonObject>(isJsonObject, "must be a JSON object");

/** Every free-text string of a raw record with its path (their lengths are checked by the schemas). */
function rawRecordStrings(record: RawRecord): Array<[string, string]> {
  const strings: Array<[string, string]> = [
    ["event_id", record.event_id],
    ["project_id", record.project_id],
  ];
  if (record.profile_id !== null) strings.push(["profile_id", record.profile_id]);
  if (record.type === "event") {
    strings.push(["event_name", record.event_name]);
    for (const [field, value] of Object.entries(record.ctx)) if (typeof value === "string") strings.push([`ctx.${field}`, value]);
  } else {
    record.unset.forEach((key, index) => strings.push([`unset[${index}]`, key]));
    if (record.merge) strings.push(["merge.from", record.merge.from]);
  }
  return strings;
}

/**
 * A record on `event.raw` as the processor decodes it: the same rules as ingest (./storable), so
 * nothing ingest acknowledged is refused here and nothing unstorable gets past this point.
 */
export const rawRecordWireSchema = rawRecordSchema.superRefine((record, ctx) => {
  for (const [path, value] of rawRecordStrings(record)) {
    const problem = storableStringProblem(value, path);
    if (problem) ctx.addIssue({ code: "custom", message: `${problem.path} ${problem.message}` });
  }
});
export type RawRecord = z.infer<typeof rawRecordSchema>;

export type ViolationType = (typeof VIOLATION_TYPES)[number];

export interface Violation {
  type: ViolationType;
  /** Dotted path of the offending field, when there is one. */
  field?: string;
  message: string;
}

/** What lands on `event.dlq`: the original input, why it was refused, and where it came from. */
export interface DeadLetter {
  project_id: string | null;
  received_at: number;
  reason: ViolationType;
  violations: Violation[];
  payload: JsonValue;
}

/** Kafka key: per-profile order; events without a profile spread by their id. */
export function kafkaKeyOf(record: { project_id: string; profile_id: string | null; event_id: string }): string {
  return record.profile_id ? `${record.project_id}:${record.profile_id}` : `${record.project_id}:${record.event_id}`;
}

export const TOPIC = {
  raw: "event.raw",
  enriched: "event.enriched",
  triggered: "event.triggered",
  dlq: "event.dlq",
} as const;
