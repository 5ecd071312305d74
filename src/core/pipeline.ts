import { z } from "zod";
import { internalEventSchema, parsedJsonObject } from "./events";
import { personMergeSchema } from "./identity";
import { triggerActionSchema } from "./triggers";

/**
 * Records between the processor and the sink (`event.enriched`, `event.triggered`). The processor
 * writes them, the sink and the action runner read them; each side parses with these schemas.
 */
// Pipeline records are only ever decoded from JSON text (see parsedJsonObject).
const jsonObject = parsedJsonObject;

export const enrichedEventSchema = internalEventSchema.extend({
  props: jsonObject,
  /** The profile's props when the processor handled the event ({} without a profile). */
  profile_props: jsonObject,
  browser: z.string().nullable(),
  os: z.string().nullable(),
  device_type: z.string().nullable(),
});
export type EnrichedEvent = z.infer<typeof enrichedEventSchema>;

/** A profile after a change, with the change itself for the history table. */
export const profileChangeSchema = z.object({
  type: z.literal("profile"),
  project_id: z.string().min(1),
  profile_id: z.string().min(1),
  /** The event_id of the profile record that made the change. */
  change_id: z.string().min(1),
  changed_at: z.number().int(),
  set: jsonObject,
  set_once: jsonObject,
  unset: z.array(z.string()),
  props: jsonObject,
  created_at: z.number().int(),
  updated_at: z.number().int(),
});
export type ProfileChange = z.infer<typeof profileChangeSchema>;

/** Events, profile changes and person merges (src/core/identity.ts), in per-profile order. */
export const enrichedRecordSchema = z.discriminatedUnion("type", [enrichedEventSchema, profileChangeSchema, personMergeSchema]);
export type EnrichedRecord = z.infer<typeof enrichedRecordSchema>;

/** Set on an `event.triggered` firing that has no actions, so the action runner skips it unread. */
export const NO_ACTIONS_HEADER = "prism-no-actions";

/**
 * One rule evaluation that fired or failed; `firing_id` is derived from trigger and event, so a
 * redelivery cannot fire twice. On `event.triggered` it travels with its `kind` (src/contracts/records).
 */
export const firingSchema = z.object({
  firing_id: z.string().min(1),
  project_id: z.string().min(1),
  trigger_id: z.string().min(1),
  trigger_version: z.number().int().min(0).max(2_147_483_647),
  trigger_name: z.string(),
  event_id: z.string().min(1),
  event_name: z.string(),
  profile_id: z.string().nullable(),
  /** Processing time: when the event reached the server (its `sts`). */
  fired_at: z.number().int(),
  /** The event's own time (its `cts`): "today" and the firing log go by it. Absent on firings written before it existed. */
  event_ts: z.number().int().optional(),
  result: z.enum(["fired", "error"]),
  error: z.string().nullable(),
  actions: z.array(triggerActionSchema),
  /** The event, for the actions' payloads; omitted when there are no actions to run. */
  event: enrichedEventSchema.optional(),
});
export type Firing = z.infer<typeof firingSchema>;
