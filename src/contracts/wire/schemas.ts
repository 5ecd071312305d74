/**
 * The Avro schemas of the records on Prism's internal topics (`event.enriched`, `event.triggered`),
 * every version ever written, by the id that travels in each record's second byte (./codec.ts).
 *
 * A shipped schema never changes (schemas.test.ts pins each one's fingerprint): a new shape is a new
 * version with a new id, whose added fields have defaults, so a consumer on the new version still
 * reads records of the old one (Avro schema resolution). Fields holding free-form JSON (props,
 * context, actions) are strings with the logical type `json`; other Avro readers see the JSON text.
 */

/** Free-form JSON, carried as its text. */
const json = { type: "string", logicalType: "json" } as const;
const optional = <T>(type: T) => ({ type: ["null", type], default: null }) as const;
const only = (name: string, symbol: string) => ({ type: "enum", name, symbols: [symbol] }) as const;

export const ENRICHED_EVENT_V1 = {
  type: "record",
  name: "EnrichedEvent",
  namespace: "prism.wire",
  fields: [
    { name: "type", type: only("EventType", "event") },
    { name: "event_id", type: "string" },
    { name: "project_id", type: "string" },
    { name: "event_name", type: "string" },
    { name: "cts", type: "long" },
    { name: "sts", type: "long" },
    { name: "profile_id", ...optional("string") },
    { name: "props", type: json },
    { name: "ctx", type: json },
    { name: "violations", ...optional(json) },
    {
      name: "backfill",
      ...optional({
        type: "record",
        name: "Backfill",
        fields: [
          { name: "job_id", type: "string" },
          { name: "fire_actions", type: "boolean" },
        ],
      }),
    },
    { name: "profile_props", type: json },
    { name: "browser", ...optional("string") },
    { name: "os", ...optional("string") },
    { name: "device_type", ...optional("string") },
  ],
} as const;

export const PROFILE_CHANGE_V1 = {
  type: "record",
  name: "ProfileChange",
  namespace: "prism.wire",
  fields: [
    { name: "type", type: only("ProfileType", "profile") },
    { name: "project_id", type: "string" },
    { name: "profile_id", type: "string" },
    { name: "change_id", type: "string" },
    { name: "changed_at", type: "long" },
    { name: "set", type: json },
    { name: "set_once", type: json },
    { name: "unset", type: { type: "array", items: "string" } },
    { name: "props", type: json },
    { name: "created_at", type: "long" },
    { name: "updated_at", type: "long" },
  ],
} as const;

export const PERSON_MERGE_V1 = {
  type: "record",
  name: "PersonMerge",
  namespace: "prism.wire",
  fields: [
    { name: "type", type: only("MergeType", "merge") },
    { name: "project_id", type: "string" },
    { name: "distinct_id", type: "string" },
    { name: "person_id", type: "string" },
    { name: "change_id", type: "string" },
    { name: "merged_at", type: "long" },
  ],
} as const;

const firingFields = (withEventTs: boolean) => [
  { name: "kind", type: only("FiringKind", "firing") },
  { name: "firing_id", type: "string" },
  { name: "project_id", type: "string" },
  { name: "trigger_id", type: "string" },
  { name: "trigger_version", type: "int" },
  { name: "trigger_name", type: "string" },
  { name: "event_id", type: "string" },
  { name: "event_name", type: "string" },
  { name: "profile_id", ...optional("string") },
  { name: "fired_at", type: "long" },
  ...(withEventTs ? [{ name: "event_ts", ...optional("long") }] : []),
  { name: "result", type: { type: "enum", name: "FiringResult", symbols: ["fired", "error"] } },
  { name: "error", ...optional("string") },
  { name: "actions", type: json },
  { name: "event", ...optional(ENRICHED_EVENT_V1) },
];

/** A firing as written before it carried the event's own time (`event_ts`). */
export const FIRING_V1 = { type: "record", name: "Firing", namespace: "prism.wire", fields: firingFields(false) } as const;

/** v1 plus `event_ts`, the event's own time; a v1 firing reads with `event_ts` absent. */
export const FIRING_V2 = { type: "record", name: "Firing", namespace: "prism.wire", fields: firingFields(true) } as const;

export const ACTION_RESULT_V1 = {
  type: "record",
  name: "ActionResult",
  namespace: "prism.wire",
  fields: [
    { name: "kind", type: only("ActionResultKind", "action_result") },
    { name: "project_id", type: "string" },
    { name: "firing_id", type: "string" },
    { name: "action_index", type: "int" },
    { name: "action_type", type: "string" },
    { name: "status", type: { type: "enum", name: "ActionStatus", symbols: ["succeeded", "failed", "queued", "skipped"] } },
    { name: "detail", type: "string" },
    { name: "at", type: "long" },
  ],
} as const;

/** What a record is, whatever its version: each kind is read into its newest version. */
export type WireRecordKind = "enriched_event" | "profile_change" | "person_merge" | "firing" | "action_result";

export interface WireSchema {
  kind: WireRecordKind;
  version: number;
  schema: object;
}

/** Every schema ever written, by id (one byte: 1 to 255). Ids are never reused. */
export const WIRE_SCHEMAS: Readonly<Record<number, WireSchema>> = Object.freeze({
  1: { kind: "enriched_event", version: 1, schema: ENRICHED_EVENT_V1 },
  2: { kind: "profile_change", version: 1, schema: PROFILE_CHANGE_V1 },
  3: { kind: "person_merge", version: 1, schema: PERSON_MERGE_V1 },
  4: { kind: "firing", version: 1, schema: FIRING_V1 },
  5: { kind: "action_result", version: 1, schema: ACTION_RESULT_V1 },
  6: { kind: "firing", version: 2, schema: FIRING_V2 },
});

/** The id each kind is written with today: its newest version, which is also what consumers read into. */
export const CURRENT_SCHEMA_ID: Readonly<Record<WireRecordKind, number>> = Object.freeze({
  enriched_event: 1,
  profile_change: 2,
  person_merge: 3,
  firing: 6,
  action_result: 5,
});
