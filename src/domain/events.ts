import { z } from "zod";

/** JSON values as they travel: no undefined, no functions, no prototypes. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export const eventContextSchema = z.object({
  ip: z.string().max(64).optional(),
  user_agent: z.string().max(1024).optional(),
  locale: z.string().max(64).optional(),
  device_type: z.string().max(64).optional(),
  os: z.string().max(64).optional(),
  app_version: z.string().max(64).optional(),
  country: z.string().max(8).optional(),
  region: z.string().max(64).optional(),
  city: z.string().max(128).optional(),
  session_id: z.string().max(128).optional(),
  source_format: z.enum(["internal", "tracking", "segment"]).optional(),
});
export type EventContext = z.infer<typeof eventContextSchema>;

const jsonObject = z.record(z.string(), z.json());

/** The internal form, as produced to `event.raw` and trusted by the worker. */
export const internalEventSchema = z.object({
  type: z.literal("event"),
  event_id: z.string().min(1).max(128),
  project_id: z.string().min(1).max(64),
  event_name: z.string().min(1).max(128),
  cts: z.number().int(),
  sts: z.number().int(),
  profile_id: z.string().min(1).max(256).nullable(),
  props: jsonObject,
  ctx: eventContextSchema,
  /** Tracking-plan violations of an event accepted in observe mode. */
  violations: z
    .array(
      z.object({
        type: z.enum(["unplanned_event", "required_missing", "datatype_mismatch", "additional_properties", "malformed"]),
        field: z.string().optional(),
        message: z.string(),
      }),
    )
    .optional(),
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
  set: jsonObject,
  set_once: jsonObject,
  unset: z.array(z.string()),
  /** Tags to add to the profile's `tags` list (the tag_profile action); absent from ingest. */
  add_tags: z.array(z.string().max(100)).max(100).optional(),
});
export type ProfileRecord = z.infer<typeof profileRecordSchema>;

export const rawRecordSchema = z.discriminatedUnion("type", [internalEventSchema, profileRecordSchema]);

/**
 * For records that came out of JSON.parse: their values are JSON by construction, so only the
 * shape of an object is checked. z.json() walks every nested value, which costs more than all the
 * rest of the processor's work on an event.
 */
export const parsedJsonObject = z.custom<JsonObject>((value) => typeof value === "object" && value !== null && !Array.isArray(value), "must be a JSON object");
export const rawRecordWireSchema = z.discriminatedUnion("type", [
  internalEventSchema.extend({ props: parsedJsonObject }),
  profileRecordSchema.extend({ set: parsedJsonObject, set_once: parsedJsonObject }),
]);
export type RawRecord = z.infer<typeof rawRecordSchema>;

export const VIOLATION_TYPES = ["unplanned_event", "required_missing", "datatype_mismatch", "additional_properties", "malformed"] as const;
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
