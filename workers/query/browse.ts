/**
 * Browsing queries: the events page, the live tail, profiles, key numbers, trigger firings and dead
 * letters. Lists page by keyset (the last row's sort key), never OFFSET, so a page costs the same
 * however deep it is and rows arriving meanwhile do not shift pages.
 */
import { z } from "zod";
import type { EventDetail, EventRow, eventFilterSchema } from "../../src/core/reports";
import { jsonPath, Params, Scope, type BuiltQuery } from "./sql";
import { personEvents, personIds } from "./identity";
import type { ResultRow } from "./runner";

export type EventFilterDef = z.output<typeof eventFilterSchema>;

const EVENT_COLUMNS = `e.event_id, e.event_name, e.profile_id, epoch_ms(e.ts) AS ts_ms, epoch_ms(e.received_at) AS received_ms,
  e.browser, e.os, e.device_type, json_extract_string(e.ctx, '$.country') AS country, CAST(e.props AS VARCHAR) AS props`;

const iso = (ms: unknown) => new Date(Number(ms)).toISOString();
const text = (value: unknown) => (value === null || value === undefined ? null : String(value));

export function parseJsonObject(value: unknown): Record<string, unknown> {
  if (typeof value !== "string") return {};
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function parseJson(value: unknown): unknown {
  if (typeof value !== "string") return null;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

export function toEventRow(row: ResultRow): EventRow {
  return {
    eventId: String(row.event_id),
    eventName: String(row.event_name),
    profileId: text(row.profile_id),
    ts: iso(row.ts_ms),
    receivedAt: iso(row.received_ms),
    browser: text(row.browser),
    os: text(row.os),
    deviceType: text(row.device_type),
    country: text(row.country),
    props: parseJsonObject(row.props),
  };
}

export interface EventCursor {
  ts: string;
  eventId: string;
}

/**
 * Newest first; `cursor` is the last row of the previous page. Reads one row more than `limit` to know if there is a next page.
 * Rows show the id each event was sent under; `person` (the profile timeline) widens `profileId` to every id merged with it.
 */
export function buildEventList(
  projectId: string,
  filter: EventFilterDef,
  cursor: EventCursor | null,
  limit: number,
  options: { person?: boolean } = {},
): BuiltQuery {
  const params = new Params();
  const project = params.add(projectId);
  const scope = new Scope(params);
  const where = [`e.project_id = ${project}`];
  if (filter.range) where.push(`e.ts >= ${params.timestamp(filter.range.from)}`, `e.ts < ${params.timestamp(filter.range.to)}`);
  if (filter.events.length > 0) where.push(`e.event_name IN (${filter.events.map((name) => params.add(name)).join(", ")})`);
  if (filter.profileId !== undefined) {
    where.push(options.person ? `e.profile_id IN ${personIds(params, project, filter.profileId)}` : `e.profile_id = ${params.add(filter.profileId)}`);
  }
  where.push(...scope.filters(filter.filters));
  if (cursor) {
    const ts = params.timestamp(cursor.ts);
    // The first term lets DuckDB skip row groups by their ts range.
    where.push(`e.ts <= ${ts}`, `(e.ts < ${ts} OR e.event_id < ${params.add(cursor.eventId)})`);
  }
  // The page is picked on raw columns first and only its rows are converted: computing the columns
  // (JSON, casts) before the limit would do that work for every row the ORDER BY looks at.
  const sql = `SELECT ${EVENT_COLUMNS}
      FROM (SELECT e.* FROM ${scope.from(project, { persons: false })} WHERE ${where.join(" AND ")} ORDER BY e.ts DESC, e.event_id DESC LIMIT ${limit + 1}) e
     ORDER BY e.ts DESC, e.event_id DESC`;
  return { sql, params: params.values };
}

export function pageOf<T, C>(rows: T[], limit: number, cursorOf: (row: T) => C): { items: T[]; nextCursor: C | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}

export function buildEventGet(projectId: string, eventId: string): BuiltQuery {
  return {
    sql: `SELECT ${EVENT_COLUMNS}, CAST(e.ctx AS VARCHAR) AS ctx, CAST(e.profile_props AS VARCHAR) AS profile_props, CAST(e.violations AS VARCHAR) AS violations
            FROM events e WHERE e.project_id = $1 AND e.event_id = $2 LIMIT 1`,
    params: [projectId, eventId],
  };
}

export function toEventDetail(row: ResultRow): EventDetail {
  const violations = parseJson(row.violations);
  return {
    ...toEventRow(row),
    ctx: parseJsonObject(row.ctx),
    profileProps: parseJsonObject(row.profile_props),
    violations: Array.isArray(violations) ? violations : null,
  };
}

export interface TailCursor {
  receivedAt: string;
  eventId: string;
}

/** Events received after the cursor, oldest first; without a cursor, the latest `limit` events. */
export function buildEventTail(projectId: string, after: TailCursor | null, limit: number): BuiltQuery {
  const params = new Params();
  const project = params.add(projectId);
  if (!after) {
    return {
      sql: `SELECT * FROM (SELECT ${EVENT_COLUMNS} FROM events e WHERE e.project_id = ${project} ORDER BY e.received_at DESC, e.event_id DESC LIMIT ${limit})
             ORDER BY received_ms, event_id`,
      params: params.values,
    };
  }
  const at = params.timestamp(after.receivedAt);
  const sql = `SELECT ${EVENT_COLUMNS} FROM events e
      WHERE e.project_id = ${project} AND e.received_at >= ${at} AND (e.received_at > ${at} OR e.event_id > ${params.add(after.eventId)})
      ORDER BY e.received_at, e.event_id LIMIT ${limit}`;
  return { sql, params: params.values };
}

// profiles --------------------------------------------------------------------------------------

export interface ProfileRow {
  profileId: string;
  props: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

const PROFILE_COLUMNS = "profile_id, CAST(props AS VARCHAR) AS props, epoch_ms(created_at) AS created_ms, epoch_ms(updated_at) AS updated_ms";

export function toProfileRow(row: ResultRow): ProfileRow {
  return { profileId: String(row.profile_id), props: parseJsonObject(row.props), createdAt: iso(row.created_ms), updatedAt: iso(row.updated_ms) };
}

export function buildProfileSearch(
  projectId: string,
  search: { prefix?: string | undefined; prop?: { key: string[]; value: string } | undefined },
  cursor: string | null,
  limit: number,
): BuiltQuery {
  const params = new Params();
  const where = [`project_id = ${params.add(projectId)}`];
  // An id merged into another person keeps its old row; the person's page shows it, the list does not.
  where.push(`NOT EXISTS (SELECT 1 FROM person_overrides po WHERE po.project_id = profiles.project_id AND po.distinct_id = profiles.profile_id)`);
  if (search.prefix) where.push(`starts_with(profile_id, ${params.add(search.prefix)})`);
  if (search.prop) where.push(`json_extract_string(props, ${params.add(jsonPath(search.prop.key))}) = ${params.add(search.prop.value)}`);
  if (cursor !== null) where.push(`profile_id > ${params.add(cursor)}`);
  return { sql: `SELECT ${PROFILE_COLUMNS} FROM profiles WHERE ${where.join(" AND ")} ORDER BY profile_id LIMIT ${limit + 1}`, params: params.values };
}

export function buildProfileGet(projectId: string, profileId: string): BuiltQuery {
  return { sql: `SELECT ${PROFILE_COLUMNS} FROM profiles WHERE project_id = $1 AND profile_id = $2`, params: [projectId, profileId] };
}

export function buildProfileChanges(projectId: string, profileId: string, limit: number): BuiltQuery {
  return {
    sql: `SELECT change_id, epoch_ms(changed_at) AS changed_ms, CAST("set" AS VARCHAR) AS set_json, CAST(set_once AS VARCHAR) AS set_once_json,
                 CAST("unset" AS VARCHAR) AS unset_json
            FROM profile_changes WHERE project_id = $1 AND profile_id = $2 ORDER BY changed_at DESC, change_id DESC LIMIT ${limit}`,
    params: [projectId, profileId],
  };
}

export interface ProfileChangeRow {
  changeId: string;
  changedAt: string;
  set: Record<string, unknown>;
  setOnce: Record<string, unknown>;
  unset: string[];
}

export function toProfileChange(row: ResultRow): ProfileChangeRow {
  const unset = parseJson(row.unset_json);
  return {
    changeId: String(row.change_id),
    changedAt: iso(row.changed_ms),
    set: parseJsonObject(row.set_json),
    setOnce: parseJsonObject(row.set_once_json),
    unset: Array.isArray(unset) ? unset.map(String) : [],
  };
}

/** Over the profile's person: its own events and those of every id merged with it. */
export function buildProfileActivity(projectId: string, profileId: string): BuiltQuery {
  const params = new Params();
  const project = params.add(projectId);
  return {
    sql: `SELECT CAST(count(*) AS DOUBLE) AS events, epoch_ms(min(ts)) AS first_ms, epoch_ms(max(ts)) AS last_ms
            FROM events WHERE project_id = ${project} AND profile_id IN ${personIds(params, project, profileId)}`,
    params: params.values,
  };
}

// key numbers, trigger firings, dead letters ----------------------------------------------------------

/** Today's bounds in the project's time zone ($2), computed on local wall time so DST days are 23 or 25 hours long. */
const TODAY_BOUNDS = `SELECT timezone($2, date_trunc('day', timezone($2, now()))) AS today,
    timezone($2, date_trunc('day', timezone($2, now())) + INTERVAL 1 DAY) AS tomorrow, now() - INTERVAL 7 DAY AS week_ago`;

/**
 * A firing's time is its event's time (`event_ts`), so backfilled or late events count on the day they
 * happened, the same day "events today" counts them; rows from before the column existed use fired_at.
 */
const FIRING_TIME = "coalesce(event_ts, fired_at)";

/** Active profiles count people: ids merged into one person count once (identity merge). */
export function buildKeyNumbers(projectId: string, timezone: string): BuiltQuery {
  return {
    sql: `WITH bounds AS (${TODAY_BOUNDS})
      SELECT
        (SELECT CAST(count(*) AS DOUBLE) FROM events, bounds WHERE project_id = $1 AND ts >= today AND ts < tomorrow) AS events_today,
        (SELECT CAST(count(DISTINCT e.profile_id) AS DOUBLE) FROM ${personEvents("$1")} e, bounds WHERE e.project_id = $1 AND e.ts >= today AND e.ts < tomorrow) AS active_today,
        (SELECT CAST(count(DISTINCT e.profile_id) AS DOUBLE) FROM ${personEvents("$1")} e, bounds WHERE e.project_id = $1 AND e.ts >= week_ago) AS active_7d,
        (SELECT CAST(count(*) AS DOUBLE) FROM trigger_logs, bounds
          WHERE project_id = $1 AND ${FIRING_TIME} >= today AND ${FIRING_TIME} < tomorrow AND result = 'fired') AS triggers_today`,
    params: [projectId, timezone],
  };
}

/** Firings of today's events per trigger (project time zone), for the triggers page's collapsed logs. */
export function buildFiringsToday(projectId: string, timezone: string): BuiltQuery {
  return {
    sql: `WITH bounds AS (${TODAY_BOUNDS})
      SELECT trigger_id, CAST(count(*) AS DOUBLE) AS firings FROM trigger_logs, bounds
       WHERE project_id = $1 AND ${FIRING_TIME} >= today AND ${FIRING_TIME} < tomorrow AND result = 'fired'
       GROUP BY trigger_id`,
    params: [projectId, timezone],
  };
}

export interface FiringCursor {
  eventAt: string;
  firingId: string;
}

/** Newest event first, as a user reads a log; processing order would shuffle backfilled events. */
export function buildTriggerFirings(projectId: string, triggerId: string, cursor: FiringCursor | null, limit: number): BuiltQuery {
  const params = new Params();
  const time = `coalesce(t.event_ts, t.fired_at)`;
  const where = [`t.project_id = ${params.add(projectId)}`, `t.trigger_id = ${params.add(triggerId)}`];
  if (cursor) {
    const at = params.timestamp(cursor.eventAt);
    where.push(`${time} <= ${at}`, `(${time} < ${at} OR t.firing_id < ${params.add(cursor.firingId)})`);
  }
  return {
    sql: `SELECT t.firing_id, t.trigger_version, t.event_id, t.event_name, t.profile_id, epoch_ms(t.fired_at) AS fired_ms, epoch_ms(${time}) AS event_ms,
                 t.result, t.error,
                 (SELECT CAST(list({'index': a.action_index, 'type': a.action_type, 'status': a.status, 'detail': a.detail} ORDER BY a.action_index) AS JSON)::VARCHAR
                    FROM action_results a WHERE a.project_id = t.project_id AND a.firing_id = t.firing_id) AS action_results
            FROM trigger_logs t WHERE ${where.join(" AND ")} ORDER BY ${time} DESC, t.firing_id DESC LIMIT ${limit + 1}`,
    params: params.values,
  };
}

export interface FiringRow {
  firingId: string;
  triggerVersion: number;
  eventId: string;
  eventName: string;
  profileId: string | null;
  /** When the event happened (its client time). */
  eventAt: string;
  /** When it was processed (reached the server); differs from eventAt for backfilled or delayed events. */
  firedAt: string;
  result: "fired" | "error";
  error: string | null;
  actions: Array<{ index: number; type: string; status: string; detail: string }>;
}

export function toFiringRow(row: ResultRow): FiringRow {
  const actions = parseJson(row.action_results);
  return {
    firingId: String(row.firing_id),
    triggerVersion: Number(row.trigger_version),
    eventId: String(row.event_id),
    eventName: String(row.event_name),
    profileId: text(row.profile_id),
    eventAt: iso(row.event_ms),
    firedAt: iso(row.fired_ms),
    result: row.result === "error" ? "error" : "fired",
    error: text(row.error),
    actions: Array.isArray(actions) ? (actions as FiringRow["actions"]) : [],
  };
}

export interface DeadLetterCursor {
  receivedAt: string;
  dlqId: string;
}

export function buildDeadLetterList(
  projectId: string,
  reason: string | null,
  cursor: DeadLetterCursor | null,
  limit: number,
  stage: string | null = null,
): BuiltQuery {
  const params = new Params();
  const where = [`project_id = ${params.add(projectId)}`, "discarded_at IS NULL"];
  if (reason !== null) where.push(`reason = ${params.add(reason)}`);
  if (stage !== null) where.push(stage === "ingest" ? "stage IS NULL" : `stage = ${params.add(stage)}`);
  if (cursor) {
    const at = params.timestamp(cursor.receivedAt);
    where.push(`received_at <= ${at}`, `(received_at < ${at} OR dlq_id < ${params.add(cursor.dlqId)})`);
  }
  return {
    sql: `SELECT dlq_id, epoch_ms(received_at) AS received_ms, reason, CAST(violations AS VARCHAR) AS violations, CAST(payload AS VARCHAR) AS payload,
                 source, epoch_ms(replayed_at) AS replayed_ms, stage, error, payload_encoding
            FROM dead_letters WHERE ${where.join(" AND ")} ORDER BY received_at DESC, dlq_id DESC LIMIT ${limit + 1}`,
    params: params.values,
  };
}

export interface DeadLetterViolation {
  type: string | null;
  field: string | null;
  message: string | null;
}

export interface DeadLetterRow {
  dlqId: string;
  receivedAt: string;
  reason: string;
  violations: DeadLetterViolation[];
  /**
   * The stored payload as JSON text, for the client to parse: a payload is whatever a sender or a
   * broken record held, and keys like `__proto__` or `prototype` make superjson refuse a whole answer.
   */
  payloadJson: string;
  source: string;
  replayedAt: string | null;
  /** The consumer that could not handle the record (processor, sink, actions, webhooks); null for ingest's refusals. */
  stage: string | null;
  error: string | null;
  /** Consumer letters: the payload is the record's exact text (utf8) or its bytes (base64). */
  payloadEncoding: "utf8" | "base64" | null;
}

const optionalText = (value: unknown) => (typeof value === "string" ? value : null);

/** Only the three known fields, as strings: stored violations are JSON from senders and records. */
function violationsOf(value: unknown): DeadLetterViolation[] {
  if (!Array.isArray(value)) return [];
  return value.slice(0, 50).map((item: unknown) => {
    const entry = typeof item === "object" && item !== null ? (item as Record<string, unknown>) : {};
    return {
      type: Object.hasOwn(entry, "type") ? optionalText(entry.type) : null,
      field: Object.hasOwn(entry, "field") ? optionalText(entry.field) : null,
      message: Object.hasOwn(entry, "message") ? optionalText(entry.message) : null,
    };
  });
}

export function toDeadLetterRow(row: ResultRow): DeadLetterRow {
  return {
    dlqId: String(row.dlq_id),
    receivedAt: iso(row.received_ms),
    reason: String(row.reason),
    violations: violationsOf(parseJson(row.violations)),
    payloadJson: String(row.payload),
    source: String(row.source),
    replayedAt: row.replayed_ms === null || row.replayed_ms === undefined ? null : iso(row.replayed_ms),
    stage: text(row.stage),
    error: text(row.error),
    payloadEncoding: row.payload_encoding === "utf8" || row.payload_encoding === "base64" ? row.payload_encoding : null,
  };
}

export function buildDeadLetterPayloads(projectId: string, ids: string[]): BuiltQuery {
  const params = new Params();
  const project = params.add(projectId);
  const list = ids.map((id) => params.add(id)).join(", ");
  return {
    sql: `SELECT dlq_id, CAST(payload AS VARCHAR) AS payload, stage, payload_encoding, CAST(origin AS VARCHAR) AS origin
            FROM dead_letters WHERE project_id = ${project} AND dlq_id IN (${list}) AND discarded_at IS NULL`,
    params: params.values,
  };
}

/** Where a consumer read the record (its topic and key), or for a webhook letter its delivery id in `offset`; ingest's letters have none. */
const letterOriginSchema = z.object({ topic: z.string(), partition: z.number().int(), offset: z.string(), key: z.string().nullable() });

/** A row of buildDeadLetterPayloads: the payload as JSON text, with what a replay needs to put a consumer's record back. */
export function storedLetterOf(row: ResultRow) {
  let origin: z.infer<typeof letterOriginSchema> | null = null;
  try {
    const parsed = letterOriginSchema.safeParse(JSON.parse(String(row.origin)));
    if (parsed.success) origin = parsed.data;
  } catch {
    // ingest's letters have no origin
  }
  return {
    dlqId: String(row.dlq_id),
    payloadJson: String(row.payload),
    stage: typeof row.stage === "string" ? row.stage : null,
    payloadEncoding: row.payload_encoding === "base64" ? ("base64" as const) : row.payload_encoding === "utf8" ? ("utf8" as const) : null,
    origin,
  };
}

export function buildDiscardDeadLetters(projectId: string, ids: string[]): BuiltQuery {
  const params = new Params();
  const project = params.add(projectId);
  const list = ids.map((id) => params.add(id)).join(", ");
  return {
    sql: `UPDATE dead_letters SET discarded_at = now() WHERE project_id = ${project} AND dlq_id IN (${list}) AND discarded_at IS NULL`,
    params: params.values,
  };
}

export function buildMarkReplayed(projectId: string, ids: string[]): BuiltQuery {
  const params = new Params();
  const project = params.add(projectId);
  const list = ids.map((id) => params.add(id)).join(", ");
  return { sql: `UPDATE dead_letters SET replayed_at = now() WHERE project_id = ${project} AND dlq_id IN (${list})`, params: params.values };
}
