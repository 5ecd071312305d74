import { DuckDBTimestampTZValue, type DuckDBAppender, type DuckDBConnection, type DuckDBInstance } from "@duckdb/node-api";
import { Counter, Histogram, type Registry } from "prom-client";
import { z } from "zod";
import { TOPIC, VIOLATION_TYPES, type DeadLetter, type JsonValue } from "../../src/domain/events";
import {
  actionResultSchema,
  enrichedRecordSchema,
  firingSchema,
  type ActionResult,
  type EnrichedEvent,
  type Firing,
  type ProfileChange,
} from "../../src/domain/pipeline";
import type { BusMessage, ProduceRecord } from "../bus/types";
import { ensureAnalyticsSchema } from "./schema";

/** Staging tables mirror their targets; each write appends there, then moves new rows over in one statement. */
const STAGES = {
  events: `project_id VARCHAR, event_id VARCHAR, event_name VARCHAR, profile_id VARCHAR, ts TIMESTAMPTZ, received_at TIMESTAMPTZ,
           props JSON, ctx JSON, profile_props JSON, browser VARCHAR, os VARCHAR, device_type VARCHAR, violations JSON, seq BIGINT`,
  profile_changes: `project_id VARCHAR, profile_id VARCHAR, change_id VARCHAR, changed_at TIMESTAMPTZ, "set" JSON, set_once JSON, "unset" JSON, props JSON,
           created_at TIMESTAMPTZ, updated_at TIMESTAMPTZ, seq BIGINT`,
  trigger_logs: `project_id VARCHAR, firing_id VARCHAR, trigger_id VARCHAR, trigger_version INTEGER, trigger_name VARCHAR, event_id VARCHAR, event_name VARCHAR,
           profile_id VARCHAR, fired_at TIMESTAMPTZ, result VARCHAR, error VARCHAR, actions JSON`,
  action_results: `project_id VARCHAR, firing_id VARCHAR, action_index INTEGER, action_type VARCHAR, status VARCHAR, detail VARCHAR, recorded_at TIMESTAMPTZ`,
  dead_letters: `project_id VARCHAR, dlq_id VARCHAR, received_at TIMESTAMPTZ, reason VARCHAR, violations JSON, payload JSON, source VARCHAR`,
} as const;
type Stage = keyof typeof STAGES;

const MOVE: Record<Stage, string> = {
  // No index on events.event_id (see schema.ts): a redelivered event has the same received_at, so
  // the check only reads the row groups of the batch's received_at range.
  events: `INSERT INTO events
    SELECT project_id, event_id, event_name, profile_id, ts, received_at, props, ctx, profile_props, browser, os, device_type, violations
      FROM stage_events s
     WHERE NOT EXISTS (
       SELECT 1 FROM events e
        WHERE e.received_at BETWEEN (SELECT min(received_at) FROM stage_events) AND (SELECT max(received_at) FROM stage_events)
          AND e.event_id = s.event_id AND e.project_id = s.project_id)
   QUALIFY row_number() OVER (PARTITION BY project_id, event_id ORDER BY seq) = 1
     ORDER BY seq`,
  profile_changes: `INSERT INTO profile_changes
    SELECT project_id, profile_id, change_id, changed_at, "set", set_once, "unset", props FROM stage_profile_changes
   QUALIFY row_number() OVER (PARTITION BY project_id, change_id ORDER BY seq) = 1
    ON CONFLICT DO NOTHING`,
  trigger_logs: `INSERT INTO trigger_logs
    SELECT project_id, firing_id, trigger_id, trigger_version, trigger_name, event_id, event_name, profile_id, fired_at, result, error, actions
      FROM stage_trigger_logs QUALIFY row_number() OVER (PARTITION BY project_id, firing_id) = 1
    ON CONFLICT DO NOTHING`,
  action_results: `INSERT INTO action_results
    SELECT project_id, firing_id, action_index, action_type, status, detail, recorded_at
      FROM stage_action_results QUALIFY row_number() OVER (PARTITION BY project_id, firing_id, action_index ORDER BY recorded_at DESC) = 1
    ON CONFLICT (project_id, firing_id, action_index) DO UPDATE SET status = excluded.status, detail = excluded.detail, recorded_at = excluded.recorded_at`,
  dead_letters: `INSERT INTO dead_letters
    SELECT project_id, dlq_id, received_at, reason, violations, payload, source, NULL
      FROM stage_dead_letters QUALIFY row_number() OVER (PARTITION BY dlq_id) = 1
    ON CONFLICT DO NOTHING`,
};

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
});

export interface SinkWriteResult {
  events: number;
  profileChanges: number;
  firings: number;
  deadLetters: number;
  /** Records that could not be decoded: the caller produces these to event.dlq. */
  undecodable: ProduceRecord[];
}

const timestamp = (ms: number) => new DuckDBTimestampTZValue(BigInt(Math.trunc(ms)) * 1000n);

/**
 * Writes bus records to the analytics tables in one DuckDB transaction per call. Idempotent:
 * writing the same records again changes nothing, which is what makes at-least-once delivery safe.
 */
export class SinkWriter {
  private connection: DuckDBConnection | undefined;
  private appenders = new Map<Stage, DuckDBAppender>();
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

  private async appender(stage: Stage): Promise<DuckDBAppender> {
    let appender = this.appenders.get(stage);
    if (!appender) {
      appender = await (await this.open()).createAppender(`stage_${stage}`, "main", "temp");
      this.appenders.set(stage, appender);
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
   */
  private async discardStaged(): Promise<void> {
    for (const appender of this.appenders.values()) {
      try {
        appender.closeSync();
      } catch {
        // An appender with a partial row refuses to flush on close; it is dropped all the same.
      }
    }
    this.appenders.clear();
    for (const stage of Object.keys(STAGES)) await this.connection?.run(`DELETE FROM stage_${stage}`).catch(() => undefined);
  }

  private async writeOnce(messages: BusMessage[]): Promise<SinkWriteResult> {
    const connection = await this.open();
    const result: SinkWriteResult = { events: 0, profileChanges: 0, firings: 0, deadLetters: 0, undecodable: [] };
    const used = new Set<Stage>();
    const stopTimer = this.writeLatency?.startTimer();

    for (const message of messages) {
      const decoded = decodeForSink(message);
      if (decoded.kind === "undecodable") {
        result.undecodable.push({ topic: TOPIC.dlq, key: null, value: JSON.stringify(decoded.letter), headers: message.headers });
        continue;
      }
      this.seq++;
      switch (decoded.kind) {
        case "event":
          this.appendEvent(await this.appender("events"), decoded.event);
          used.add("events");
          result.events++;
          break;
        case "profile":
          this.appendProfileChange(await this.appender("profile_changes"), decoded.change);
          used.add("profile_changes");
          result.profileChanges++;
          break;
        case "firing":
          this.appendFiring(await this.appender("trigger_logs"), decoded.firing);
          used.add("trigger_logs");
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
            timestamp(decoded.result.at),
          ]);
          used.add("action_results");
          break;
        case "dead_letter":
          appendRow(await this.appender("dead_letters"), [
            decoded.letter.project_id,
            `${message.topic}:${message.partition}:${message.offset}`,
            timestamp(decoded.letter.received_at),
            decoded.letter.reason,
            JSON.stringify(decoded.letter.violations),
            JSON.stringify(decoded.letter.payload),
            decoded.source,
          ]);
          used.add("dead_letters");
          result.deadLetters++;
          break;
      }
    }

    if (used.size > 0) {
      for (const stage of used) this.appenders.get(stage)?.flushSync();
      await connection.run("BEGIN TRANSACTION");
      try {
        for (const stage of used) {
          await connection.run(MOVE[stage]);
          if (stage === "profile_changes") await connection.run(UPSERT_PROFILES);
        }
        await connection.run("COMMIT");
      } catch (error) {
        await connection.run("ROLLBACK").catch(() => undefined);
        throw error;
      } finally {
        for (const stage of used) await connection.run(`DELETE FROM stage_${stage}`);
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

  private appendEvent(appender: DuckDBAppender, event: EnrichedEvent): void {
    appendRow(appender, [
      event.project_id,
      event.event_id,
      event.event_name,
      event.profile_id,
      timestamp(event.cts),
      timestamp(event.sts),
      JSON.stringify(event.props),
      JSON.stringify(event.ctx),
      JSON.stringify(event.profile_props),
      event.browser,
      event.os,
      event.device_type,
      event.violations && event.violations.length > 0 ? JSON.stringify(event.violations) : null,
      BigInt(this.seq),
    ]);
  }

  private appendProfileChange(appender: DuckDBAppender, change: ProfileChange): void {
    appendRow(appender, [
      change.project_id,
      change.profile_id,
      change.change_id,
      timestamp(change.changed_at),
      JSON.stringify(change.set),
      JSON.stringify(change.set_once),
      JSON.stringify(change.unset),
      JSON.stringify(change.props),
      timestamp(change.created_at),
      timestamp(change.updated_at),
      BigInt(this.seq),
    ]);
  }

  private appendFiring(appender: DuckDBAppender, firing: Firing): void {
    appendRow(appender, [
      firing.project_id,
      firing.firing_id,
      firing.trigger_id,
      firing.trigger_version,
      firing.trigger_name,
      firing.event_id,
      firing.event_name,
      firing.profile_id,
      timestamp(firing.fired_at),
      firing.result,
      firing.error,
      JSON.stringify(firing.actions),
    ]);
  }

  close(): void {
    for (const appender of this.appenders.values()) appender.closeSync();
    this.appenders.clear();
    this.connection?.closeSync();
    this.connection = undefined;
  }
}

type Cell = string | number | bigint | null | DuckDBTimestampTZValue;

function appendRow(appender: DuckDBAppender, cells: Cell[]): void {
  for (const cell of cells) {
    if (cell === null) appender.appendNull();
    else if (typeof cell === "string") appender.appendVarchar(cell);
    else if (typeof cell === "number") appender.appendInteger(cell);
    else if (typeof cell === "bigint") appender.appendBigInt(cell);
    else appender.appendTimestampTZ(cell);
  }
  appender.endRow();
}

type SinkRecord =
  | { kind: "event"; event: EnrichedEvent }
  | { kind: "profile"; change: ProfileChange }
  | { kind: "firing"; firing: Firing }
  | { kind: "action_result"; result: ActionResult }
  | { kind: "dead_letter"; letter: z.infer<typeof deadLetterSchema>; source: string }
  | { kind: "undecodable"; letter: DeadLetter };

export function decodeForSink(message: BusMessage): SinkRecord {
  let payload: unknown;
  try {
    payload = JSON.parse(message.value);
  } catch {
    return undecodable(message, "record is not JSON", message.value);
  }
  if (message.topic === TOPIC.enriched) {
    const parsed = enrichedRecordSchema.safeParse(payload);
    if (!parsed.success) return undecodable(message, describeIssue(parsed.error), payload as JsonValue);
    return parsed.data.type === "event" ? { kind: "event", event: parsed.data } : { kind: "profile", change: parsed.data };
  }
  if (message.topic === TOPIC.triggered) {
    const isResult = typeof payload === "object" && payload !== null && "kind" in payload && payload.kind === "action_result";
    const parsed = isResult ? actionResultSchema.safeParse(payload) : firingSchema.safeParse(payload);
    if (!parsed.success) return undecodable(message, describeIssue(parsed.error), payload as JsonValue);
    return isResult ? { kind: "action_result", result: parsed.data as ActionResult } : { kind: "firing", firing: parsed.data as Firing };
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
    return { kind: "dead_letter", letter: parsed.data, source: message.headers["prism-source"] ?? "ingest" };
  }
  return undecodable(message, `unexpected topic ${message.topic}`, payload as JsonValue);
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid record";
}

function undecodable(message: BusMessage, why: string, payload: JsonValue): SinkRecord {
  return {
    kind: "undecodable",
    letter: {
      project_id: null,
      received_at: Date.now(),
      reason: "malformed",
      violations: [{ type: "malformed", message: `sink could not decode a record of ${message.topic}: ${why}` }],
      payload,
    },
  };
}
