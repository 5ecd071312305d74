import type pg from "pg";
import type { InternalEvent, JsonObject, ProfileRecord } from "../../src/core/events";
import type { WindowEntry } from "./windows";

/** The processor's state of one profile, as stored in Postgres `profile_state`. */
export interface ProfileState {
  projectId: string;
  profileId: string;
  props: JsonObject;
  windows: WindowEntry[];
  /** Last firing per trigger id: event time and id, so re-evaluating that same event still fires. */
  cooldowns: Record<string, { t: number; id: string }>;
  createdAt: number;
  updatedAt: number;
}

const stateKey = (projectId: string, profileId: string) => `${projectId}\u0000${profileId}`;

/**
 * How long a record's event_id is remembered: a record with the same event_id within this window
 * (an SDK retry, a resend after a 503) is dropped by the processor. Like Amplitude's insert_id.
 * Entries are pruned hourly, so a resend up to an hour later may still be caught.
 */
export const IDEMPOTENCY_WINDOW_MS = 7 * 24 * 3600_000;

/**
 * The key a record's event_id is remembered under, scoped by kind and project. The project id is
 * length-prefixed so no id can make two pairs meet; Postgres stores md5 of it as a 16-byte uuid.
 * jsonb refuses lone surrogates, so the id is made well formed first.
 */
export function seenKey(record: Pick<InternalEvent | ProfileRecord, "type" | "project_id" | "event_id">): string {
  const id = (record.event_id as string & { toWellFormed(): string }).toWellFormed();
  return `${record.type === "event" ? "e" : "p"}${record.project_id.length}:${record.project_id}:${id}`;
}

/**
 * Loads and saves profile state in one round trip each per batch. The processor saves only after
 * the batch's outputs are durable on the bus, so a crash in between replays the batch from the old
 * state and produces the same outputs again (de-duplicated downstream).
 *
 * The event ids a batch handled are saved in the same statement as its state: after a crash both
 * are old (the replay handles the batch again), or both are new (the replay drops it as seen, its
 * outputs being durable already). Never one without the other.
 */
export class ProfileStateStore {
  /** A pool, or a client inside a transaction (a batch that merged persons, processor.ts). */
  constructor(private readonly pool: Pick<pg.ClientBase, "query">) {}

  async load(keys: Array<{ projectId: string; profileId: string }>): Promise<Map<string, ProfileState>> {
    const states = new Map<string, ProfileState>();
    if (keys.length === 0) return states;
    const { rows } = await this.pool.query<{
      project_id: string;
      profile_id: string;
      props: JsonObject;
      windows: WindowEntry[];
      cooldowns: ProfileState["cooldowns"];
      created_ms: number;
      updated_ms: number;
    }>(
      `SELECT s.project_id, s.profile_id, s.props, s.windows, s.cooldowns,
              (extract(epoch FROM s.created_at) * 1000)::float8 AS created_ms, (extract(epoch FROM s.updated_at) * 1000)::float8 AS updated_ms
         FROM profile_state s
         JOIN json_to_recordset($1::json) AS k(project_id text, profile_id text)
           ON s.project_id = k.project_id AND s.profile_id = k.profile_id`,
      [JSON.stringify(keys.map((key) => ({ project_id: key.projectId, profile_id: key.profileId })))],
    );
    for (const row of rows) {
      states.set(stateKey(row.project_id, row.profile_id), {
        projectId: row.project_id,
        profileId: row.profile_id,
        props: row.props,
        windows: row.windows,
        cooldowns: row.cooldowns,
        createdAt: Math.round(row.created_ms),
        updatedAt: Math.round(row.updated_ms),
      });
    }
    return states;
  }

  /**
   * One JSON document for the whole batch: pg would otherwise escape every JSON string into a
   * Postgres array literal character by character, which cost ~50 µs of client CPU per state.
   * jsonb_to_recordset parses it once; json_to_recordset would parse each state's props again.
   */
  async save(states: ProfileState[], seenKeys: readonly string[] = []): Promise<void> {
    if (states.length === 0 && seenKeys.length === 0) return;
    // A data-modifying WITH runs to completion whether or not the main statement reads it; the
    // keys go in sorted so concurrent batches take their index locks in one order.
    await this.pool.query(
      `WITH seen AS (
         INSERT INTO seen_event_ids (key)
         SELECT DISTINCT md5(k)::uuid FROM jsonb_array_elements_text($2::jsonb) AS k ORDER BY 1
         ON CONFLICT DO NOTHING
       )
       INSERT INTO profile_state (project_id, profile_id, props, windows, cooldowns, created_at, updated_at)
       SELECT project_id, profile_id, props, windows, cooldowns, to_timestamp(created_at / 1000.0), to_timestamp(updated_at / 1000.0)
         FROM jsonb_to_recordset($1::jsonb)
           AS s(project_id text, profile_id text, props jsonb, windows jsonb, cooldowns jsonb, created_at float8, updated_at float8)
       ON CONFLICT (project_id, profile_id) DO UPDATE
         SET props = EXCLUDED.props, windows = EXCLUDED.windows, cooldowns = EXCLUDED.cooldowns, updated_at = EXCLUDED.updated_at`,
      [
        JSON.stringify(
          states.map((state) => ({
            project_id: state.projectId,
            profile_id: state.profileId,
            props: state.props,
            windows: state.windows,
            cooldowns: state.cooldowns,
            created_at: state.createdAt,
            updated_at: state.updatedAt,
          })),
        ),
        JSON.stringify(seenKeys),
      ],
    );
  }

  /** The keys (seenKey) among these that an earlier batch handled. */
  async seen(keys: readonly string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const { rows } = await this.pool.query<{ k: string }>(
      `SELECT k FROM jsonb_array_elements_text($1::jsonb) AS k WHERE EXISTS (SELECT 1 FROM seen_event_ids s WHERE s.key = md5(k)::uuid)`,
      [JSON.stringify(keys)],
    );
    return new Set(rows.map((row) => row.k));
  }

  /** Forgets event ids older than the window, a chunk at a time so no statement holds locks long. */
  async pruneSeen(windowMs = IDEMPOTENCY_WINDOW_MS, now = Date.now()): Promise<number> {
    const cutoff = new Date(now - windowMs);
    let deleted = 0;
    for (;;) {
      const { rowCount } = await this.pool.query(`DELETE FROM seen_event_ids WHERE key IN (SELECT key FROM seen_event_ids WHERE seen_at < $1 LIMIT 10000)`, [
        cutoff,
      ]);
      deleted += rowCount ?? 0;
      if ((rowCount ?? 0) < 10000) return deleted;
    }
  }
}

export { stateKey };
