/**
 * The ingest routes (edge/ingest.ts) as the OpenAPI document describes them. Ingest judges each
 * input by hand (src/core/ingest/convert.ts), so these zod schemas describe its formats rather
 * than validate them; ingest-openapi.int.test.ts sends each documented call through the ingest
 * handler and checks the answers against the response schemas here.
 */
import { z } from "zod";
import { CONTEXT_LIMITS } from "~/core/storable";
import { VIOLATION_TYPES } from "~/core/events";

const jsonObject = z.record(z.string(), z.unknown());
const timestamp = z.union([z.number().int(), z.string()]).describe("Epoch milliseconds or an ISO 8601 date-time; defaults to when Prism received it.");
const eventId = z
  .string()
  .max(128)
  .regex(/^[\w.:-]+$/)
  .describe("Your id for the event, to make resending safe (a copy already stored is dropped); one is generated otherwise.");
const profileId = z.string().min(1).max(256);

const internalEvent = z
  .strictObject({
    event_name: z.string().min(1).max(128),
    event_id: eventId.optional(),
    profile_id: profileId.optional(),
    cts: timestamp.optional(),
    timestamp: timestamp.optional(),
    props: jsonObject.optional(),
    ctx: z
      .object(Object.fromEntries(Object.entries(CONTEXT_LIMITS).map(([field, max]) => [field, z.string().max(max).optional()])))
      .optional()
      .describe("Request context (other fields are ignored); what is not given is taken from the request (IP, user agent)."),
  })
  .describe("Prism's own format.");

const trackingEvent = z
  .strictObject({
    event_type: z.string().min(1).max(128),
    event_id: eventId.optional(),
    user_id: profileId.optional(),
    session_id: z.string().max(128).optional(),
    timestamp: timestamp.optional(),
    fields: jsonObject.optional(),
    ip: z.string().optional(),
    user_agent: z.string().optional(),
  })
  .describe("The tracking format.");

const segmentCall = z
  .looseObject({
    type: z.enum(["track", "identify"]),
    event: z.string().min(1).max(128).optional().describe("For track."),
    userId: profileId.optional(),
    anonymousId: profileId.optional(),
    messageId: eventId.optional(),
    timestamp: timestamp.optional(),
    properties: jsonObject.optional().describe("For track."),
    traits: jsonObject
      .optional()
      .describe("For identify: the profile's properties. With both userId and anonymousId, the anonymous visitor becomes this user."),
    context: jsonObject.optional(),
  })
  .describe("A Segment-style track or identify call.");

export const ingestEventSchema = z.union([internalEvent, trackingEvent, segmentCall]);

export const ingestBatchSchema = z
  .union([z.array(ingestEventSchema).min(1).max(100), z.strictObject({ events: z.array(ingestEventSchema).min(1).max(100) })])
  .describe("Up to 100 events, as a JSON array or {events: [...]}; each is judged on its own.");

export const ingestProfileSchema = z.union([
  z.strictObject({
    profile_id: profileId,
    event_id: eventId.optional(),
    set: jsonObject.optional(),
    set_once: jsonObject.optional().describe("Set only where the profile has no value yet."),
    unset: z.array(z.string().min(1)).optional(),
    props: jsonObject.optional().describe("Same as set, when set is absent."),
  }),
  segmentCall.describe("A Segment-style identify call."),
]);

const violation = z.object({ type: z.enum(VIOLATION_TYPES), field: z.string().optional(), message: z.string() });

/** One event or profile accepted; `violations` when the project only observes its tracking plan. */
export const ingestAcceptedSchema = z.object({ status: z.literal("accepted"), event_id: z.string(), violations: z.array(violation).optional() });

/** A batch: 202 all accepted, 207 some refused, 422 none accepted (with `error`, the first refusal's reason). */
export const ingestBatchAnswerSchema = z.object({
  error: z.string().optional(),
  message: z.string().optional(),
  status: z.enum(["accepted", "partial", "refused"]),
  accepted: z.number().int(),
  refused: z.number().int(),
  events: z.array(z.object({ index: z.number().int(), event_id: z.string(), violations: z.array(violation).optional() })),
  errors: z.array(z.object({ index: z.number().int(), reason: z.string(), path: z.string().optional(), violations: z.array(violation) })),
});

/** Ingest's errors: the REST API's shape, with the violations of a refused event. */
export const ingestErrorSchema = z.object({
  error: z.string(),
  message: z.string(),
  path: z.string().optional(),
  violations: z.array(violation).optional(),
});

export interface IngestRoute {
  id: string;
  method: "POST";
  path: string;
  summary: string;
  body: z.ZodType;
  responses: Record<number, { description: string; schema: z.ZodType }>;
}

const common = {
  401: { description: "No key, or an unknown or revoked one, or a key that is not a write key (unauthorized).", schema: ingestErrorSchema },
  403: { description: "The project is archived (project_archived).", schema: ingestErrorSchema },
  413: { description: "The body is over the request limit (payload_too_large).", schema: ingestErrorSchema },
  429: { description: "Over the project's rate limit for this key (rate_limited); wait Retry-After seconds.", schema: ingestErrorSchema },
  503: { description: "Storage did not confirm in time (unavailable); resend after Retry-After with the same event_id.", schema: ingestErrorSchema },
};

export const ingestRoutes: IngestRoute[] = [
  {
    id: "ingestEvent",
    method: "POST",
    path: "/api/v1/events",
    summary: "Sends one event in Prism's, the tracking or Segment's format, checked against the project's tracking plan.",
    body: ingestEventSchema,
    responses: {
      202: { description: "Accepted (stored, or on its way).", schema: ingestAcceptedSchema },
      400: { description: "Not JSON, or not an event (malformed).", schema: ingestErrorSchema },
      422: { description: "Refused by the tracking plan (the violation's type as error, with violations).", schema: ingestErrorSchema },
      ...common,
    },
  },
  {
    id: "ingestBatch",
    method: "POST",
    path: "/api/v1/events/batch",
    summary: "Sends up to 100 events; each is accepted or refused on its own.",
    body: ingestBatchSchema,
    responses: {
      202: { description: "Every event accepted.", schema: ingestBatchAnswerSchema },
      207: { description: "Some events refused: see errors, by index.", schema: ingestBatchAnswerSchema },
      400: { description: "Not JSON, empty, or not a list of events (malformed).", schema: ingestErrorSchema },
      422: { description: "No event accepted.", schema: ingestBatchAnswerSchema },
      ...common,
    },
  },
  {
    id: "ingestProfile",
    method: "POST",
    path: "/api/v1/profiles",
    summary: "Creates or updates a profile: set, set_once and unset properties, or a Segment identify.",
    body: ingestProfileSchema,
    responses: {
      202: { description: "Accepted.", schema: ingestAcceptedSchema },
      400: { description: "Not JSON, or not a profile (malformed).", schema: ingestErrorSchema },
      422: { description: "Refused (the violation's type as error).", schema: ingestErrorSchema },
      ...common,
    },
  },
];
