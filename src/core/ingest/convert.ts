/**
 * Source formats → the internal form. Pure: no I/O, never throws on any JSON value;
 * anything it cannot convert comes back as a violation: `unstorable_value` (with the JSON path as
 * sent) for what no stage could store (src/core/storable), else `malformed`.
 */
import type { EventContext, InternalEvent, JsonObject, JsonValue, ProfileRecord, Violation } from "../events";
import { CONTEXT_LIMITS, STORABLE_LIMITS, toStorable, type ContextField } from "../storable";
import { uuidv7 } from "./uuidv7";

export type SourceFormat = "internal" | "tracking" | "segment";

/** What conversion needs besides the payload: identity and request context from the server. */
export interface ConversionContext {
  projectId: string;
  /** Server time, epoch ms. */
  now: number;
  /** Context taken from request headers; payload context wins where both say something. */
  requestCtx: EventContext;
}

export type Converted =
  | { ok: true; kind: "event"; format: SourceFormat; record: InternalEvent }
  | { ok: true; kind: "profile"; format: SourceFormat; record: ProfileRecord }
  | { ok: false; violations: Violation[] };

export const LIMITS = {
  maxNameLength: 128,
  maxIdLength: 256,
} as const;

const malformed = (message: string, field?: string): { ok: false; violations: Violation[] } => ({
  ok: false,
  violations: [{ type: "malformed", message, ...(field ? { field } : {}) }],
});

const unstorable = (field: string, message: string): { ok: false; violations: Violation[] } => ({
  ok: false,
  violations: [{ type: "unstorable_value", field, message: `${field || "the input"} ${message}` }],
});

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The input in storable form (src/core/storable), judged as a whole so a refusal names the path
 * as sent (`properties.a.b`, `context.location.country`). Props sit one level inside the input.
 */
function storableInput(input: Record<string, unknown>): { ok: true; value: Record<string, unknown> } | { ok: false; violations: Violation[] } {
  const result = toStorable(input, "", STORABLE_LIMITS.maxDepth + 1);
  if (!result.ok) return unstorable(result.problem.path, result.problem.message);
  return { ok: true, value: result.value as Record<string, unknown> };
}

function optionalString(value: unknown, field: string, max: number): { ok: true; value: string | undefined } | { ok: false; violation: Violation } {
  if (value === undefined || value === null) return { ok: true, value: undefined };
  if (typeof value === "number" && Number.isFinite(value)) return { ok: true, value: String(value) };
  if (typeof value !== "string") return { ok: false, violation: { type: "malformed", field, message: `${field} must be a string` } };
  if (value.length === 0 || value.length > max)
    return { ok: false, violation: { type: "malformed", field, message: `${field} must be 1 to ${max} characters` } };
  return { ok: true, value };
}

/** Epoch ms from a number (ms, or seconds when it looks like seconds) or an ISO 8601 string. */
export function parseTimestamp(value: unknown): number | null {
  if (typeof value === "number" && Number.isFinite(value)) {
    const ms = value < 1e11 ? value * 1000 : value;
    return Number.isSafeInteger(Math.round(ms)) ? Math.round(ms) : null;
  }
  if (typeof value === "string" && value.length <= 64 && /^\d{4}-\d{2}-\d{2}/.test(value)) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

/** One context value from the payload: the field it fills, where it was sent, and the value. */
type ContextSource = [field: ContextField, path: string, value: unknown];

/** Context fields from the payload; non-strings are ignored, strings longer than the stored field are refused. */
function pickContext(sources: ContextSource[]): { ok: true; ctx: EventContext } | { ok: false; violations: Violation[] } {
  const ctx: EventContext = {};
  for (const [field, path, value] of sources) {
    if (typeof value !== "string" || value.length === 0) continue;
    if (value.length > CONTEXT_LIMITS[field]) return unstorable(path, `is longer than ${CONTEXT_LIMITS[field]} characters`);
    ctx[field] = value;
  }
  return { ok: true, ctx };
}

function eventName(value: unknown, field: string): { ok: true; value: string } | { ok: false; violations: Violation[] } {
  if (typeof value !== "string" || value.trim().length === 0) return malformed(`${field} is required and must be a non-empty string`, field);
  if (value.length > LIMITS.maxNameLength) return malformed(`${field} is at most ${LIMITS.maxNameLength} characters`, field);
  return { ok: true, value };
}

function clientEventId(value: unknown): { ok: true; value: string | undefined } | { ok: false; violations: Violation[] } {
  const id = optionalString(value, "event_id", 128);
  if (!id.ok) return { ok: false, violations: [id.violation] };
  if (id.value !== undefined && !/^[\w.:-]+$/.test(id.value)) return malformed("event_id may use letters, digits, _ . : -", "event_id");
  return { ok: true, value: id.value };
}

function buildEvent(
  cc: ConversionContext,
  format: SourceFormat,
  parts: { eventId: string | undefined; name: string; timestamp: unknown; profileId: string | undefined; props: unknown; ctx: EventContext },
): Converted {
  let cts = cc.now;
  if (parts.timestamp !== undefined && parts.timestamp !== null) {
    const parsed = parseTimestamp(parts.timestamp);
    if (parsed === null) return malformed("timestamp must be epoch milliseconds or an ISO 8601 date-time", "timestamp");
    cts = parsed;
  }
  const props = parts.props ?? {};
  if (!isObject(props)) return malformed("properties must be a JSON object", "props");
  const record: InternalEvent = {
    type: "event",
    event_id: parts.eventId ?? uuidv7(cc.now),
    project_id: cc.projectId,
    event_name: parts.name,
    cts,
    sts: cc.now,
    profile_id: parts.profileId ?? null,
    props: props as JsonObject,
    ctx: { ...cc.requestCtx, ...parts.ctx, source_format: format },
  };
  return { ok: true, kind: "event", format, record };
}

function fromInternal(input: Record<string, unknown>, cc: ConversionContext): Converted {
  const allowed = new Set(["type", "event_id", "event_name", "cts", "timestamp", "profile_id", "props", "ctx", "project_id"]);
  const extra = Object.keys(input).filter((key) => !allowed.has(key));
  if (extra.length > 0) return { ok: false, violations: [{ type: "additional_properties", field: extra[0], message: `unknown top-level key "${extra[0]}"` }] };
  if (input.project_id !== undefined && input.project_id !== cc.projectId) return malformed("project_id does not match the API key's project", "project_id");
  const name = eventName(input.event_name, "event_name");
  if (!name.ok) return name;
  const id = clientEventId(input.event_id);
  if (!id.ok) return id;
  const profile = optionalString(input.profile_id, "profile_id", LIMITS.maxIdLength);
  if (!profile.ok) return { ok: false, violations: [profile.violation] };
  if (input.ctx !== undefined && !isObject(input.ctx)) return malformed("ctx must be an object", "ctx");
  const source = isObject(input.ctx) ? input.ctx : {};
  const fields = Object.keys(CONTEXT_LIMITS) as ContextField[];
  const ctx = pickContext(fields.map((field): ContextSource => [field, `ctx.${field}`, source[field]]));
  if (!ctx.ok) return ctx;
  return buildEvent(cc, "internal", {
    eventId: id.value,
    name: name.value,
    timestamp: input.cts ?? input.timestamp,
    profileId: profile.value,
    props: input.props,
    ctx: ctx.ctx,
  });
}

/** `{event_type, timestamp, user_id, session_id, fields, ip, user_agent}` */
function fromTracking(input: Record<string, unknown>, cc: ConversionContext): Converted {
  const allowed = new Set(["event_type", "timestamp", "user_id", "session_id", "fields", "ip", "user_agent", "event_id"]);
  const extra = Object.keys(input).filter((key) => !allowed.has(key));
  if (extra.length > 0) return { ok: false, violations: [{ type: "additional_properties", field: extra[0], message: `unknown top-level key "${extra[0]}"` }] };
  const name = eventName(input.event_type, "event_type");
  if (!name.ok) return name;
  const id = clientEventId(input.event_id);
  if (!id.ok) return id;
  const user = optionalString(input.user_id, "user_id", LIMITS.maxIdLength);
  if (!user.ok) return { ok: false, violations: [user.violation] };
  const session = optionalString(input.session_id, "session_id", 128);
  if (!session.ok) return { ok: false, violations: [session.violation] };
  const ctx = pickContext([
    ["ip", "ip", input.ip],
    ["user_agent", "user_agent", input.user_agent],
    ["session_id", "session_id", session.value],
  ]);
  if (!ctx.ok) return ctx;
  return buildEvent(cc, "tracking", {
    eventId: id.value,
    name: name.value,
    timestamp: input.timestamp,
    profileId: user.value,
    props: input.fields,
    ctx: ctx.ctx,
  });
}

function segmentContext(context: unknown): ReturnType<typeof pickContext> {
  if (!isObject(context)) return { ok: true, ctx: {} };
  const app = isObject(context.app) ? context.app : {};
  const os = isObject(context.os) ? context.os : {};
  const device = isObject(context.device) ? context.device : {};
  const location = isObject(context.location) ? context.location : {};
  return pickContext([
    ["ip", "context.ip", context.ip],
    ["user_agent", "context.userAgent", context.userAgent],
    ["locale", "context.locale", context.locale],
    ["app_version", "context.app.version", app.version],
    ["os", "context.os.name", os.name],
    ["device_type", "context.device.type", device.type],
    ["country", "context.location.country", location.country],
    ["city", "context.location.city", location.city],
    ["region", "context.location.region", location.region],
  ]);
}

/** Segment-style `track` and `identify` calls. */
function fromSegment(input: Record<string, unknown>, cc: ConversionContext): Converted {
  const user = optionalString(input.userId ?? input.anonymousId, input.userId !== undefined ? "userId" : "anonymousId", LIMITS.maxIdLength);
  if (!user.ok) return { ok: false, violations: [user.violation] };
  const id = clientEventId(input.messageId);
  if (!id.ok) return id;
  if (input.type === "identify") {
    if (!user.value) return malformed("identify needs userId or anonymousId", "userId");
    const traits = input.traits ?? {};
    if (!isObject(traits)) return malformed("traits must be a JSON object", "traits");
    const record: ProfileRecord = {
      type: "profile",
      event_id: id.value ?? uuidv7(cc.now),
      project_id: cc.projectId,
      profile_id: user.value,
      sts: cc.now,
      set: traits as JsonObject,
      set_once: {},
      unset: [],
    };
    // An identify naming both ids: the anonymous visitor becomes this user (src/core/identity.ts).
    if (input.userId !== undefined && input.anonymousId !== undefined) {
      const anonymous = optionalString(input.anonymousId, "anonymousId", LIMITS.maxIdLength);
      if (!anonymous.ok) return { ok: false, violations: [anonymous.violation] };
      if (anonymous.value && anonymous.value !== user.value) record.merge = { from: anonymous.value, explicit: false };
    }
    return { ok: true, kind: "profile", format: "segment", record };
  }
  const name = eventName(input.event, "event");
  if (!name.ok) return name;
  const ctx = segmentContext(input.context);
  if (!ctx.ok) return ctx;
  return buildEvent(cc, "segment", {
    eventId: id.value,
    name: name.value,
    timestamp: input.timestamp ?? input.originalTimestamp,
    profileId: user.value,
    props: input.properties,
    ctx: ctx.ctx,
  });
}

/** Which format a payload speaks, by its distinguishing keys. */
export function detectFormat(input: Record<string, unknown>): SourceFormat | null {
  if (input.type === "track" || input.type === "identify") return "segment";
  if ("event_type" in input) return "tracking";
  if ("event_name" in input) return "internal";
  return null;
}

/** Any JSON value → an internal event or profile record, or the reasons it is not one. */
export function convertEvent(raw: unknown, cc: ConversionContext): Converted {
  if (!isObject(raw)) return malformed("each event must be a JSON object");
  const storable = storableInput(raw);
  if (!storable.ok) return storable;
  const input = storable.value;
  switch (detectFormat(input)) {
    case "internal":
      return fromInternal(input, cc);
    case "tracking":
      return fromTracking(input, cc);
    case "segment":
      return fromSegment(input, cc);
    default:
      return malformed('unknown format: expected "event_name" (internal), "event_type" (tracking) or "type": "track" | "identify" (Segment)');
  }
}

/** `POST /api/v1/profiles`: `{profile_id, set?, set_once?, unset?}`, `{profile_id, props}`, or a Segment identify. */
export function convertProfile(raw: unknown, cc: ConversionContext): Converted {
  if (!isObject(raw)) return malformed("the profile must be a JSON object");
  const storable = storableInput(raw);
  if (!storable.ok) return storable;
  const input = storable.value;
  if (input.type === "identify") return fromSegment(input, cc);
  const allowed = new Set(["profile_id", "set", "set_once", "unset", "props", "event_id"]);
  const extra = Object.keys(input).filter((key) => !allowed.has(key));
  if (extra.length > 0) return { ok: false, violations: [{ type: "additional_properties", field: extra[0], message: `unknown top-level key "${extra[0]}"` }] };
  const profile = optionalString(input.profile_id, "profile_id", LIMITS.maxIdLength);
  if (!profile.ok) return { ok: false, violations: [profile.violation] };
  if (!profile.value) return malformed("profile_id is required", "profile_id");
  const id = clientEventId(input.event_id);
  if (!id.ok) return id;
  const set = input.set ?? input.props ?? {};
  const setOnce = input.set_once ?? {};
  const unset = input.unset ?? [];
  if (!isObject(set)) return malformed("set must be a JSON object", "set");
  if (!isObject(setOnce)) return malformed("set_once must be a JSON object", "set_once");
  if (!Array.isArray(unset) || !unset.every((key): key is string => typeof key === "string" && key.length > 0 && key.length <= STORABLE_LIMITS.maxKeyLength)) {
    return malformed("unset must be a list of attribute names", "unset");
  }
  const record: ProfileRecord = {
    type: "profile",
    event_id: id.value ?? uuidv7(cc.now),
    project_id: cc.projectId,
    profile_id: profile.value,
    sts: cc.now,
    set: set as JsonObject,
    set_once: setOnce as JsonObject,
    unset,
  };
  return { ok: true, kind: "profile", format: "internal", record };
}

export type { JsonValue };
