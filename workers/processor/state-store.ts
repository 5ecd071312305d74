import type pg from "pg";
import type { JsonObject } from "../../src/domain/events";
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
 * Loads and saves profile state in one round trip each per batch. The processor saves only after
 * the batch's outputs are durable on the bus, so a crash in between replays the batch from the old
 * state and produces the same outputs again (de-duplicated downstream).
 */
export class ProfileStateStore {
  constructor(private readonly pool: pg.Pool) {}

  async load(keys: Array<{ projectId: string; profileId: string }>): Promise<Map<string, ProfileState>> {
    const states = new Map<string, ProfileState>();
    if (keys.length === 0) return states;
    const { rows } = await this.pool.query<{
      project_id: string;
      profile_id: string;
      props: JsonObject;
      windows: WindowEntry[];
      cooldowns: ProfileState["cooldowns"];
      created_at: Date;
      updated_at: Date;
    }>(
      `SELECT s.project_id, s.profile_id, s.props, s.windows, s.cooldowns, s.created_at, s.updated_at
         FROM profile_state s
         JOIN unnest($1::text[], $2::text[]) AS k(project_id, profile_id)
           ON s.project_id = k.project_id AND s.profile_id = k.profile_id`,
      [keys.map((key) => key.projectId), keys.map((key) => key.profileId)],
    );
    for (const row of rows) {
      states.set(stateKey(row.project_id, row.profile_id), {
        projectId: row.project_id,
        profileId: row.profile_id,
        props: row.props,
        windows: row.windows,
        cooldowns: row.cooldowns,
        createdAt: row.created_at.getTime(),
        updatedAt: row.updated_at.getTime(),
      });
    }
    return states;
  }

  async save(states: ProfileState[]): Promise<void> {
    if (states.length === 0) return;
    await this.pool.query(
      `INSERT INTO profile_state (project_id, profile_id, props, windows, cooldowns, created_at, updated_at)
       SELECT project_id, profile_id, props::jsonb, windows::jsonb, cooldowns::jsonb, to_timestamp(created_at / 1000.0), to_timestamp(updated_at / 1000.0)
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::float8[])
           AS s(project_id, profile_id, props, windows, cooldowns, created_at, updated_at)
       ON CONFLICT (project_id, profile_id) DO UPDATE
         SET props = EXCLUDED.props, windows = EXCLUDED.windows, cooldowns = EXCLUDED.cooldowns, updated_at = EXCLUDED.updated_at`,
      [
        states.map((state) => state.projectId),
        states.map((state) => state.profileId),
        states.map((state) => JSON.stringify(state.props)),
        states.map((state) => JSON.stringify(state.windows)),
        states.map((state) => JSON.stringify(state.cooldowns)),
        states.map((state) => state.createdAt),
        states.map((state) => state.updatedAt),
      ],
    );
  }
}

export { stateKey };
