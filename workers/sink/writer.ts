import { DuckDBTimestampTZValue, DuckDBTimestampValue, type DuckDBAppender, type DuckDBConnection, type DuckDBInstance } from "@duckdb/node-api";
import { Counter, Histogram, type Registry } from "prom-client";
import { z } from "zod";
import { TOPIC, VIOLATION_TYPES, type JsonValue } from "../../src/core/events";
import type { PersonMerge } from "../../src/core/identity";
import { enrichedRecordSchema, type EnrichedEvent, type Firing, type ProfileChange } from "../../src/core/pipeline";
import { triggeredRecordSchema, type ActionResultRecord } from "../../src/contracts/records";
import {
  decodeAvro,
  decodeAvroText,
  isAvroRecord,
  TOPIC_OF_KIND,
  type EnrichedEventText,
  type FiringRecordText,
  type ProfileChangeText,
  type WireDecoded,
  type WireTextDecoded,
} from "../../src/contracts/wire/codec";
import type { BusMessage, ProduceRecord } from "../bus/types";
import { consumerDeadLetter, DEAD_LETTER_ID_HEADER, POISON_STAGES, type PoisonReason } from "../poison";
import { applyPersonMerges } from "./identity";
import { addEventCounts, HourlyCounts } from "./rollups";
import { ensureAnalyticsSchema } from "./schema";

/** Why the sink could not decode a record it hands back (for records_dead_lettered_total). */
export const DEAD_LETTER_REASON_HEADER = "prism-dead-letter-reason";

/**
 * Low-volume kinds are staged: appended to a temp table mirroring their target, then moved over in
 * one statement that de-duplicates and upserts. Events and firings, the bulk of the traffic, are
 * appended straight to their tables inside the write's transaction (see `DIRECT`).
 */
const STAGES = {
  profile_changes: `project_id VARCHAR, profile_id VARCHAR, change_id VARCHAR, changed_at TIMESTAMPTZ, "set" JSON, set_once JSON, "unset" JSON, props JSON,
           created_at TIMESTAMPTZ, updated_at TIMESTAMPTZ, seq BIGINT`,
  action_results: `project_id VARCHAR, firing_id VARCHAR, action_index INTEGER, action_type VARCHAR, status VARCHAR, detail VARCHAR, recorded_at TIMESTAMPTZ`,
  dead_letters: `project_id VARCHAR, dlq_id VARCHAR, received_at TIMESTAMPTZ, reason VARCHAR, violations JSON, payload JSON, source VARCHAR,
           stage VARCHAR, error VARCHAR, payload_encoding VARCHAR, origin JSON`,
  event_keys: `project_id VARCHAR, id VARCHAR`,
  firing_keys: `project_id VARCHAR, id VARCHAR`,
} as const;
type Stage = keyof typeof STAGES;

const MOVE: Partial<Record<Stage, string>> = {
  profile_changes: `INSERT INTO profile_changes
    SELECT project_id, profile_id, change_id, changed_at, "set", set_once, "unset", props FROM stage_profile_changes
   QUALIFY row_number() OVER (PARTITION BY project_id, change_id ORDER BY seq) = 1
    ON CONFLICT DO NOTHING`,
  action_results: `INSERT INTO action_results
    SELECT project_id, firing_id, action_index, action_type, status, detail, recorded_at
      FROM stage_action_results QUALIFY row_number() OVER (PARTITION BY project_id, firing_id, action_index ORDER BY recorded_at DESC) = 1
    ON CONFLICT (project_id, firing_id, action_index) DO UPDATE SET status = excluded.status, detail = excluded.detail, recorded_at = excluded.recorded_at`,
  dead_letters: `INSERT INTO dead_letters (project_id, dlq_id, received_at, reason, violations, payload, source, stage, error, payload_encoding, origin)
    SELECT project_id, dlq_id, received_at, reason, violations, payload, source, stage, error, payload_encoding, origin
      FROM stage_dead_letters QUALIFY row_number() OVER (PARTITION BY dlq_id) = 1
    ON CONFLICT DO NOTHING`,
};

/**
 * Events and firings carry no index (an ART index over tens of millions of ids costs memory, and
 * DuckDB rewrites it whole at every checkpoint). A redelivered record keeps its time (`received_at`,
 * `fired_at`), so the duplicates of a batch are found among the rows of the batch's time range:
 * only the keys are staged, and the rows whose keys already exist are skipped.
 */
const DIRECT = {
  events: {
    keys: "event_keys",
    existing: `SELECT k.project_id, k.id FROM stage_event_keys k JOIN events e ON e.project_id = k.project_id AND e.event_id = k.id
      WHERE e.received_at BETWEEN $1 AND $2`,
  },
  trigger_logs: {
    keys: "firing_keys",
    existing: `SELECT k.project_id, k.id FROM stage_firing_keys k JOIN trigger_logs t ON t.project_id = k.project_id AND t.firing_id = k.id
      WHERE t.fired_at BETWEEN $1 AND $2`,
  },
} as const satisfies Record<string, { keys: Stage; existing: string }>;
type Direct = keyof typeof DIRECT;

/**
 * An import's events (`backfill`) are also looked for by their own time: imported again a week
 * later, the same file arrives with a new `received_at`, past the processor's idempotency window.
 */
const EXISTING_EVENTS_BY_TIME = `SELECT k.project_id, k.id FROM stage_event_keys k JOIN events e ON e.project_id = k.project_id AND e.event_id = k.id
  WHERE e.ts BETWEEN $1 AND $2`;

/** The latest state of each profile in the write; older changes arriving late never overwrite newer ones. */
const UPSERT_PROFILES = `INSERT INTO profiles
  SELECT project_id, profile_id, props, created_at, updated_at FROM stage_profile_changes
   QUALIFY row_number() OVER (PARTITION BY project_id, profile_id ORDER BY updated_at DESC, seq DESC) = 1
  ON CONFLICT (project_id, profile_id) DO UPDATE SET props = excluded.props, updated_at = excluded.updated_at,
    created_at = least(profiles.created_at, excluded.created_at)
  WHERE excluded.updated_at >= profiles.updated_at`;

const deadLetterSchema = z.object({
  project_id: z.string().nullable(),
  received_at: z.number(),
  reason: z.enum(VIOLATION_TYPES),
  violations: z.array(z.json()),
  payload: z.json(),
  /** Set by a consumer that could not handle a record (poison.ts); ingest's letters have none. */
  stage: z.enum(POISON_STAGES).optional(),
  error: z.string().optional(),
  payload_encoding: z.enum(["utf8", "base64"]).optional(),
  origin: z.json().optional(),
});

export interface SinkWriteResult {
  events: number;
  profileChanges: number;
  firings: number;
  deadLetters: number;
  /** Records that could not be decoded: the caller produces these to event.dlq. */
  undecodable: ProduceRecord[];
}

/** An instant as a query parameter. */
const timestamp = (ms: number) => new DuckDBTimestampTZValue(BigInt(Math.trunc(ms)) * 1000n);
/**
 * An instant for an appender's TIMESTAMPTZ column. appendTimestamp stores the same microseconds
 * (whatever the session's TimeZone) straight from the object, where appendTimestampTZ creates a
 * native value with a GC finalizer per cell: a fifth of the sink's CPU before.
 */
const instant = (ms: number) => new DuckDBTimestampValue(BigInt(Math.trunc(ms)) * 1000n);

/**
 * A row's JSON columns: the JSON text an Avro record carries (decodeAvroText), or a JSON record's
 * values, stringified when appended. Those values are objects and arrays, never strings.
 */
type EventRow = EnrichedEventText | EnrichedEvent;
type FiringRow = Omit<FiringRecordText, "kind" | "event"> | Firing;
type ProfileChangeRow = ProfileChangeText | ProfileChange;
const jsonText = (value: string | JsonValue): string => (typeof value === "string" ? value : JSON.stringify(value));

/** The rows of one write headed for a direct table, first delivery wins within the batch. */
class DirectRows<T> {
  readonly rows = new Map<string, { projectId: string; id: string; row: T }>();
  earliest = Infinity;
  latest = -Infinity;
  /** The event-time range of the rows an import sent (backfilled events), for EXISTING_EVENTS_BY_TIME. */
  earliestTs = Infinity;
  latestTs = -Infinity;

  constructor(
    readonly table: Direct,
    private readonly appendOne: (appender: DuckDBAppender, row: T) => void,
  ) {}

  add(projectId: string, id: string, at: number, row: T): void {
    const key = DirectRows.key(projectId, id);
    if (this.rows.has(key)) return;
    this.rows.set(key, { projectId, id, row });
    this.earliest = Math.min(this.earliest, at);
    this.latest = Math.max(this.latest, at);
  }

  appendTo(appender: DuckDBAppender): void {
    for (const { row } of this.rows.values()) this.appendOne(appender, row);
  }

  /**
   * DuckDB stores a lone surrogate as U+FFFD, so keys are compared in that form. Both parts are then
   * well-formed, so a lone surrogate between them separates them unambiguously.
   */
  static key(projectId: unknown, id: unknown): string {
    return `${wellFormed(String(projectId))}\uD800${wellFormed(String(id))}`;
  }
}

/**
 * Writes bus records to the analytics tables in one DuckDB transaction per call. Idempotent:
 * writing the same records again changes nothing, which is what makes at-least-once delivery safe.
 */
export class SinkWriter {
  private connection: DuckDBConnection | undefined;
  private appenders = new Map<Stage | Direct, DuckDBAppender>();
  private seq = 0;
  private readonly writeLatency: Histogram | undefined;
  private readonly written: Counter<"kind"> | undefined;

  constructor(
    private readonly duckdb: DuckDBInstance,
    metrics?: Registry,
  ) {
    this.writeLatency = metrics
      ? new Histogram({
          name: "duckdb_write_latency_seconds",
          help: "Time to write one sink batch to DuckDB, commit included",
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
          registers: [metrics],
        })
      : undefined;
    this.written = metrics
      ? new Counter({ name: "sink_records_total", help: "Records the sink wrote (before de-duplication)", labelNames: ["kind"], registers: [metrics] })
      : undefined;
  }

  private async open(): Promise<DuckDBConnection> {
    if (this.connection) return this.connection;
    const connection = await this.duckdb.connect();
    await ensureAnalyticsSchema(connection);
    for (const [stage, columns] of Object.entries(STAGES)) {
      await connection.run(`CREATE OR REPLACE TEMP TABLE stage_${stage} (${columns})`);
    }
    this.connection = connection;
    return connection;
  }

  private async appender(target: Stage | Direct): Promise<DuckDBAppender> {
    let appender = this.appenders.get(target);
    if (!appender) {
      const connection = await this.open();
      appender = target in DIRECT ? await connection.createAppender(target, "main") : await connection.createAppender(`stage_${target}`, "main", "temp");
      this.appenders.set(target, appender);
    }
    return appender;
  }

  async write(messages: BusMessage[]): Promise<SinkWriteResult> {
    try {
      return await this.writeOnce(messages);
    } catch (error) {
      await this.discardStaged();
      throw error;
    }
  }

  /**
   * After a failed write the appenders may hold part of a row and the staging tables part of the
   * batch; both are dropped so the retry starts clean instead of failing on the leftovers forever.
   * Buffered rows are cleared, never flushed: a direct appender flushed outside the write's
   * transaction would commit them on its own.
   */
  private async discardStaged(): Promise<void> {
    for (const appender of this.appenders.values()) {
      try {
        appender.clear();
        appender.closeSync();
      } catch {
        // An appender with a partial row refuses to close; it is dropped all the same.
      }
    }
    this.appenders.clear();
    for (const stage of Object.keys(STAGES)) await this.connection?.run(`DELETE FROM stage_${stage}`).catch(() => undefined);
  }

  private async writeOnce(messages: BusMessage[]): Promise<SinkWriteResult> {
    const connection = await this.open();
    const result: SinkWriteResult = { events: 0, profileChanges: 0, firings: 0, deadLetters: 0, undecodable: [] };
    const staged = new Set<Stage>();
    const events = new DirectRows<EventRow>("events", appendEvent);
    const firings = new DirectRows<FiringRow>("trigger_logs", appendFiring);
    const merges: PersonMerge[] = [];
    const stopTimer = this.writeLatency?.startTimer();

    for (const message of messages) {
      const decoded = decodeRowForSink(message);
      if (decoded.kind === "undecodable") {
        result.undecodable.push(decoded.letter);
        continue;
      }
      this.seq++;
      switch (decoded.kind) {
        case "event":
          events.add(decoded.event.project_id, decoded.event.event_id, decoded.event.sts, decoded.event);
          if (decoded.event.backfill) {
            events.earliestTs = Math.min(events.earliestTs, decoded.event.cts);
            events.latestTs = Math.max(events.latestTs, decoded.event.cts);
          }
          result.events++;
          break;
        case "profile":
          this.appendProfileChange(await this.appender("profile_changes"), decoded.change);
          staged.add("profile_changes");
          result.profileChanges++;
          break;
        case "merge":
          merges.push(decoded.merge);
          break;
        case "firing":
          firings.add(decoded.firing.project_id, decoded.firing.firing_id, decoded.firing.fired_at, decoded.firing);
          result.firings++;
          break;
        case "action_result":
          appendRow(await this.appender("action_results"), [
            decoded.result.project_id,
            decoded.result.firing_id,
            decoded.result.action_index,
            decoded.result.action_type,
            decoded.result.status,
            decoded.result.detail,
            instant(decoded.result.at),
          ]);
          staged.add("action_results");
          break;
        case "alert_firing":
          break;
        case "dead_letter":
          appendRow(await this.appender("dead_letters"), [
            decoded.letter.project_id,
            // A consumer's letter is keyed by the record it stands for, so finding the poison again adds nothing.
            message.headers[DEAD_LETTER_ID_HEADER] ?? `${message.topic}:${message.partition}:${message.offset}`,
            instant(decoded.letter.received_at),
            decoded.letter.reason,
            JSON.stringify(decoded.letter.violations),
            JSON.stringify(decoded.letter.payload),
            decoded.source,
            decoded.letter.stage ?? null,
            decoded.letter.error ?? null,
            decoded.letter.payload_encoding ?? null,
            decoded.letter.origin === undefined ? null : JSON.stringify(decoded.letter.origin),
          ]);
          staged.add("dead_letters");
          result.deadLetters++;
          break;
      }
    }

    const direct = [events, firings].filter((rows) => rows.rows.size > 0);
    for (const rows of direct) {
      const keys = await this.appender(DIRECT[rows.table].keys);
      for (const { projectId, id } of rows.rows.values()) appendRow(keys, [projectId, id]);
      staged.add(DIRECT[rows.table].keys);
    }

    if (staged.size > 0 || merges.length > 0) {
      for (const stage of staged) this.appenders.get(stage)?.flushSync();
      await connection.run("BEGIN TRANSACTION");
      try {
        for (const rows of direct) {
          const existing = await connection.runAndReadAll(DIRECT[rows.table].existing, [timestamp(rows.earliest), timestamp(rows.latest)]);
          for (const [projectId, id] of existing.getRows()) rows.rows.delete(DirectRows.key(projectId, id));
          if (rows.table === "events" && rows.earliestTs <= rows.latestTs) {
            const byTime = await connection.runAndReadAll(EXISTING_EVENTS_BY_TIME, [timestamp(rows.earliestTs), timestamp(rows.latestTs)]);
            for (const [projectId, id] of byTime.getRows()) rows.rows.delete(DirectRows.key(projectId, id));
          }
          const appender = await this.appender(rows.table);
          rows.appendTo(appender);
          appender.flushSync();
          if (rows.table === "events") await addEventCounts(connection, countEvents(events));
        }
        for (const stage of staged) {
          const move = MOVE[stage];
          if (move) await connection.run(move);
          if (stage === "profile_changes") await connection.run(UPSERT_PROFILES);
        }
        await applyPersonMerges(connection, merges);
        await connection.run("COMMIT");
      } catch (error) {
        for (const rows of direct) this.appenders.get(rows.table)?.clear();
        await connection.run("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        for (const stage of staged) await connection.run(`DELETE FROM stage_${stage}`);
      }
    }
    stopTimer?.();
    if (this.written) {
      this.written.inc({ kind: "event" }, result.events);
      this.written.inc({ kind: "profile_change" }, result.profileChanges);
      this.written.inc({ kind: "firing" }, result.firings);
      this.written.inc({ kind: "dead_letter" }, result.deadLetters);
    }
    return result;
  }

  private appendProfileChange(appender: DuckDBAppender, change: ProfileChangeRow): void {
    appendRow(appender, [
      change.project_id,
      change.profile_id,
      change.change_id,
      instant(change.changed_at),
      jsonText(change.set),
      jsonText(change.set_once),
      JSON.stringify(change.unset),
      jsonText(change.props),
      instant(change.created_at),
      instant(change.updated_at),
      BigInt(this.seq),
    ]);
  }

  close(): void {
    for (const appender of this.appenders.values()) appender.closeSync();
    this.appenders.clear();
    this.connection?.closeSync();
    this.connection = undefined;
  }
}

// Events and firings, the bulk of the rows, are appended cell by cell without appendRow's array.
function appendEvent(appender: DuckDBAppender, event: EventRow): void {
  appender.appendVarchar(event.project_id);
  appender.appendVarchar(event.event_id);
  appender.appendVarchar(event.event_name);
  appendVarcharOrNull(appender, event.profile_id);
  appender.appendTimestamp(instant(event.cts));
  appender.appendTimestamp(instant(event.sts));
  appender.appendVarchar(jsonText(event.props));
  appender.appendVarchar(jsonText(event.ctx));
  appender.appendVarchar(jsonText(event.profile_props));
  appendVarcharOrNull(appender, event.browser);
  appendVarcharOrNull(appender, event.os);
  appendVarcharOrNull(appender, event.device_type);
  appendVarcharOrNull(appender, violationsText(event.violations));
  appender.endRow();
}

function appendFiring(appender: DuckDBAppender, firing: FiringRow): void {
  appender.appendVarchar(firing.project_id);
  appender.appendVarchar(firing.firing_id);
  appender.appendVarchar(firing.trigger_id);
  appender.appendInteger(firing.trigger_version);
  appender.appendVarchar(firing.trigger_name);
  appender.appendVarchar(firing.event_id);
  appender.appendVarchar(firing.event_name);
  appendVarcharOrNull(appender, firing.profile_id);
  appender.appendTimestamp(instant(firing.fired_at));
  appender.appendVarchar(firing.result);
  appendVarcharOrNull(appender, firing.error);
  appender.appendVarchar(jsonText(firing.actions));
  appender.appendTimestamp(instant(firing.event_ts ?? firing.fired_at));
  appender.endRow();
}

function appendVarcharOrNull(appender: DuckDBAppender, text: string | null): void {
  if (text === null) appender.appendNull();
  else appender.appendVarchar(text);
}

/** An event without violations stores NULL, not an empty list. */
function violationsText(violations: EventRow["violations"]): string | null {
  if (violations === undefined) return null;
  if (typeof violations === "string") return violations === "[]" ? null : violations;
  return violations.length > 0 ? JSON.stringify(violations) : null;
}

/** The hourly counts of the events a write appends (after de-duplication), for event_counts. */
function countEvents(events: DirectRows<EventRow>): HourlyCounts {
  const counts = new HourlyCounts();
  for (const { row } of events.rows.values()) counts.add(row.project_id, row.event_name, row.cts);
  return counts;
}

const wellFormed = (text: string): string => (text as string & { toWellFormed(): string }).toWellFormed();

type Cell = string | number | bigint | null | DuckDBTimestampValue;

function appendRow(appender: DuckDBAppender, cells: Cell[]): void {
  for (const cell of cells) {
    if (cell === null) appender.appendNull();
    else if (typeof cell === "string") appender.appendVarchar(cell);
    else if (typeof cell === "number") appender.appendInteger(cell);
    else if (typeof cell === "bigint") appender.appendBigInt(cell);
    else appender.appendTimestamp(cell);
  }
  appender.endRow();
}

type Decoded<Event, Change, TheFiring> =
  | { kind: "event"; event: Event }
  | { kind: "profile"; change: Change }
  | { kind: "merge"; merge: PersonMerge }
  | { kind: "firing"; firing: TheFiring }
  | { kind: "action_result"; result: ActionResultRecord }
  | { kind: "alert_firing" }
  | { kind: "dead_letter"; letter: z.infer<typeof deadLetterSchema>; source: string }
  | { kind: "undecodable"; letter: ProduceRecord };
type SinkRecord = Decoded<EnrichedEvent, ProfileChange, Firing>;
/** A record as the writer appends it: its JSON columns as JSON text. */
type SinkRow = Decoded<EventRow, ProfileChangeRow, FiringRow>;

/** decodeForSink, but an Avro record's JSON columns stay the text it carries. */
function decodeRowForSink(message: BusMessage): SinkRow {
  return isAvroRecord(message.bytes) ? (avroForSink(message, decodeAvroText(message.bytes)) as SinkRow) : decodeForSink(message);
}

export function decodeForSink(message: BusMessage): SinkRecord {
  if (isAvroRecord(message.bytes)) return avroForSink(message, decodeAvro(message.bytes)) as SinkRecord;
  let payload: unknown;
  try {
    payload = JSON.parse(message.value);
  } catch {
    return undecodable(message, "record is not JSON", "not_json");
  }
  if (message.topic === TOPIC.enriched) {
    const parsed = enrichedRecordSchema.safeParse(payload);
    if (!parsed.success) return undecodable(message, describeIssue(parsed.error), "invalid");
    if (parsed.data.type === "merge") return { kind: "merge", merge: parsed.data };
    return parsed.data.type === "event" ? { kind: "event", event: parsed.data } : { kind: "profile", change: parsed.data };
  }
  if (message.topic === TOPIC.triggered) {
    const parsed = triggeredRecordSchema.safeParse(payload);
    if (!parsed.success) return undecodable(message, describeIssue(parsed.error), "invalid");
    if (parsed.data.kind === "alert_firing") return { kind: "alert_firing" }; // its history is the alert's state rows in PostgreSQL
    return parsed.data.kind === "action_result" ? { kind: "action_result", result: parsed.data } : { kind: "firing", firing: parsed.data };
  }
  if (message.topic === TOPIC.dlq) {
    const parsed = deadLetterSchema.safeParse(payload);
    // A dead letter that is itself malformed is kept as-is rather than bounced back to the same topic.
    if (!parsed.success) {
      return {
        kind: "dead_letter",
        letter: {
          project_id: null,
          received_at: message.timestamp,
          reason: "malformed",
          violations: [{ type: "malformed", message: describeIssue(parsed.error) }],
          payload: payload as JsonValue,
        },
        source: "sink",
      };
    }
    // The payload as JSON.parse made it: zod's copy would drop a `__proto__` key, and the payload must stay exact.
    const exact = (payload as { payload: JsonValue }).payload;
    return { kind: "dead_letter", letter: { ...parsed.data, payload: exact }, source: message.headers["prism-source"] ?? "ingest" };
  }
  return undecodable(message, `unexpected topic ${message.topic}`, "invalid");
}

/** An Avro record of an internal topic (src/contracts/wire): the worker wrote it, and its schema fixed its shape, so no zod. */
function avroForSink(message: BusMessage, decoded: WireDecoded | WireTextDecoded): SinkRecord | SinkRow {
  if (!decoded.ok) return undecodable(message, decoded.error, "invalid");
  if (TOPIC_OF_KIND[decoded.kind] !== message.topic) return undecodable(message, `a ${decoded.kind} record does not belong on this topic`, "invalid");
  // Either decoding: the caller says which of its two shapes the records have.
  const record = decoded.record as never;
  switch (decoded.kind) {
    case "enriched_event":
      return { kind: "event", event: record };
    case "profile_change":
      return { kind: "profile", change: record };
    case "person_merge":
      return { kind: "merge", merge: record };
    case "firing":
      return { kind: "firing", firing: record };
    case "action_result":
      return { kind: "action_result", result: record };
  }
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid record";
}

function undecodable(message: BusMessage, why: string, reason: PoisonReason): SinkRecord {
  const letter = consumerDeadLetter({ stage: "sink", message, error: `sink could not decode a record of ${message.topic}: ${why}` });
  return { kind: "undecodable", letter: { ...letter, headers: { ...letter.headers, [DEAD_LETTER_REASON_HEADER]: reason } } };
}
