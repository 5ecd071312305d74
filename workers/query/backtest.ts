/**
 * The rule backtest's reads: a project's stored events of a time range, a page at a time, grouped
 * by person in event-time order (the order the processor saw them in, ties by event id). A page
 * holds whole persons, so the app can evaluate it with fresh per-person state and no carry-over.
 */
import { eventContextSchema, type EventContext, type JsonObject } from "../../src/core/events";
import { parseJsonObject } from "./browse";
import { personEvents } from "./identity";
import { Params, type BuiltQuery } from "./sql";
import type { ResultRow } from "./runner";

/**
 * Anonymous events have no state, so each is a group of its own, keyed by event id after a NUL
 * (which sorts before any real profile id, and which profile ids cannot hold).
 */
const GROUP_KEY = `CASE WHEN profile_id IS NULL THEN chr(0) || event_id ELSE profile_id END`;

/** Events from `after` (the last group key of the previous page, exclusive), whole groups until at least `limit` events. */
export function buildBacktestPage(projectId: string, from: string, to: string, after: string | null, limit: number): BuiltQuery {
  const params = new Params();
  const project = params.add(projectId);
  const range = `project_id = ${project} AND ts >= ${params.timestamp(from)} AND ts < ${params.timestamp(to)}`;
  const afterKey = after === null ? "" : `WHERE grp > ${params.add(after)}`;
  return {
    sql: `WITH ev AS (
        SELECT ${GROUP_KEY} AS grp, profile_id AS person, distinct_id, event_id, event_name, ts, received_at, props, ctx, profile_props
        FROM ${personEvents(project)} e WHERE ${range}
      ),
      groups AS (SELECT grp, count(*) AS n FROM ev ${afterKey} GROUP BY grp),
      running AS (SELECT grp, sum(n) OVER (ORDER BY grp ROWS UNBOUNDED PRECEDING) - n AS before FROM groups),
      page AS (SELECT grp FROM running WHERE before < ${params.number(limit)})
      SELECT (SELECT count(*) FROM running WHERE before >= ${params.number(limit)}) AS groups_after, ev.grp, ev.person, ev.distinct_id, ev.event_id, ev.event_name, epoch_ms(ev.ts) AS ts_ms, epoch_ms(ev.received_at) AS received_ms,
        CAST(ev.props AS VARCHAR) AS props, CAST(ev.ctx AS VARCHAR) AS ctx, CAST(ev.profile_props AS VARCHAR) AS profile_props
      FROM ev JOIN page USING (grp)
      ORDER BY ev.grp, ev.ts, ev.event_id`,
    params: params.values,
  };
}

/** How many events the range holds: the denominator of the progress line. */
export function buildBacktestCount(projectId: string, from: string, to: string): BuiltQuery {
  const params = new Params();
  const project = params.add(projectId);
  return {
    sql: `SELECT CAST(count(*) AS DOUBLE) AS n FROM events WHERE project_id = ${project} AND ts >= ${params.timestamp(from)} AND ts < ${params.timestamp(to)}`,
    params: params.values,
  };
}

export interface BacktestEventRow {
  /** The person (identity merge); null for an anonymous event. */
  person: string | null;
  /** The id the event was sent under. */
  profileId: string | null;
  eventId: string;
  eventName: string;
  ts: number;
  receivedAt: number;
  props: JsonObject;
  ctx: EventContext;
  profileProps: JsonObject;
}

export function toBacktestEventRow(row: ResultRow): BacktestEventRow {
  return {
    person: row.person === null || row.person === undefined ? null : String(row.person),
    profileId: row.distinct_id === null || row.distinct_id === undefined ? null : String(row.distinct_id),
    eventId: String(row.event_id),
    eventName: String(row.event_name),
    ts: Number(row.ts_ms),
    receivedAt: Number(row.received_ms),
    props: parseJsonObject(row.props) as JsonObject,
    ctx: eventContextSchema.catch({}).parse(parseJsonObject(row.ctx)),
    profileProps: parseJsonObject(row.profile_props) as JsonObject,
  };
}

/** A page's row cap: `limit` plus one very busy person. */
export const BACKTEST_MAX_PAGE_ROWS = 250_000;
