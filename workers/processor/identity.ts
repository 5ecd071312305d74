/**
 * The processor's side of identity merge (src/core/identity.ts): which person each id of a batch
 * belongs to, the guard on identify, and the overrides a batch adds. Postgres `person_overrides`
 * is the processor's truth; the sink mirrors it into DuckDB from the merge records it is sent.
 */
import type pg from "pg";
import { Counter, type Registry } from "prom-client";
import { applyMerge, decideMerge, type MergeDecision } from "../../src/core/identity";
import type { ProfileRecord } from "../../src/core/events";

type Queryable = Pick<pg.ClientBase, "query">;

export interface PersonResolver {
  personOf(projectId: string, profileId: string): string;
  /** Decides the merge a profile record asks for and records it: the persons to fold, or null. */
  merge(record: ProfileRecord): { from: string; into: string } | null;
}

/** No overrides: every id is its own person (tests and batches without identity). */
export const SAME_PERSON: PersonResolver = { personOf: (_projectId, profileId) => profileId, merge: () => null };

export type MergeResult = "merged" | "same" | "refused";

export function identityMetrics(registry: Registry): Counter<"result"> {
  return new Counter({
    name: "identity_merges_total",
    help: "Merges asked for by identify or by an admin: merged, already the same person, or refused (an identify naming an identified or already merged id)",
    labelNames: ["result"],
    registers: [registry],
  });
}

type Op = { kind: "merge"; projectId: string; from: string; into: string } | { kind: "identified"; projectId: string; profileId: string };

/** One batch's view of identity: loaded for the batch's ids, updated by its merges, saved with its state. */
export class BatchIdentity implements PersonResolver {
  readonly ops: Op[] = [];
  readonly results: MergeResult[] = [];

  constructor(
    private overrides: Map<string, Map<string, string>>,
    private readonly identifiedIds: Map<string, Set<string>>,
  ) {}

  personOf(projectId: string, profileId: string): string {
    return this.overrides.get(projectId)?.get(profileId) ?? profileId;
  }

  /** Persons of the given ids that differ from the ids: their states must be loaded too. */
  persons(keys: ReadonlyArray<{ projectId: string; profileId: string }>): Array<{ projectId: string; profileId: string }> {
    return keys
      .map((key) => ({ projectId: key.projectId, profileId: this.personOf(key.projectId, key.profileId) }))
      .filter((key, index) => key.profileId !== keys[index]!.profileId);
  }

  merge(record: ProfileRecord): { from: string; into: string } | null {
    if (!record.merge) return null;
    const projectId = record.project_id;
    const overrides = this.overrides.get(projectId) ?? new Map<string, string>();
    const identified = this.identifiedIds.get(projectId) ?? new Set<string>();
    const decision: MergeDecision = decideMerge({
      from: record.merge.from,
      into: record.profile_id,
      explicit: record.merge.explicit,
      overrides,
      identified: (id) => identified.has(id),
    });
    // The user an identify names is known from now on, whatever became of the merge.
    this.markIdentified(projectId, record.profile_id, identified);
    if (decision.kind !== "merge") {
      this.results.push(decision.kind);
      return null;
    }
    this.overrides.set(projectId, applyMerge(overrides, decision.from, decision.into));
    this.ops.push({ kind: "merge", projectId, from: decision.from, into: decision.into });
    this.markIdentified(projectId, decision.into, identified);
    this.results.push("merged");
    return { from: decision.from, into: decision.into };
  }

  private markIdentified(projectId: string, profileId: string, identified: Set<string>): void {
    if (identified.has(profileId)) return;
    identified.add(profileId);
    this.identifiedIds.set(projectId, identified);
    this.ops.push({ kind: "identified", projectId, profileId });
  }
}

/** Loads and saves `person_overrides` and `identified_profiles`. */
export class IdentityStore {
  constructor(private readonly pool: pg.Pool) {}

  /** The overrides of these ids, and which of them are identified: one round trip. */
  async load(keys: ReadonlyArray<{ projectId: string; profileId: string }>): Promise<BatchIdentity> {
    const overrides = new Map<string, Map<string, string>>();
    const identified = new Map<string, Set<string>>();
    if (keys.length === 0) return new BatchIdentity(overrides, identified);
    const { rows } = await this.pool.query<{ kind: "o" | "i"; project_id: string; id: string; person_id: string | null }>(
      `WITH k AS (SELECT * FROM json_to_recordset($1::json) AS k(project_id text, profile_id text))
       SELECT 'o' AS kind, o.project_id, o.distinct_id AS id, o.person_id FROM person_overrides o JOIN k ON o.project_id = k.project_id AND o.distinct_id = k.profile_id
       UNION ALL
       SELECT 'i', i.project_id, i.profile_id, NULL FROM identified_profiles i JOIN k ON i.project_id = k.project_id AND i.profile_id = k.profile_id`,
      [JSON.stringify(keys.map((key) => ({ project_id: key.projectId, profile_id: key.profileId })))],
    );
    for (const row of rows) {
      if (row.kind === "o" && row.person_id !== null) {
        const map = overrides.get(row.project_id) ?? new Map<string, string>();
        map.set(row.id, row.person_id);
        overrides.set(row.project_id, map);
      } else if (row.kind === "i") {
        const set = identified.get(row.project_id) ?? new Set<string>();
        set.add(row.id);
        identified.set(row.project_id, set);
      }
    }
    return new BatchIdentity(overrides, identified);
  }

  /**
   * Applies a batch's ops in order, inside the caller's transaction (the one that saves the state
   * they go with): a merge re-points the ids of the merged person, adds its own override, and
   * deletes its state row (folded into the other person's state by the batch).
   */
  static async save(client: Queryable, ops: readonly Op[]): Promise<void> {
    for (const op of ops) {
      if (op.kind === "identified") {
        await client.query(`INSERT INTO identified_profiles (project_id, profile_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [op.projectId, op.profileId]);
        continue;
      }
      await client.query(`UPDATE person_overrides SET person_id = $3 WHERE project_id = $1 AND person_id = $2`, [op.projectId, op.from, op.into]);
      await client.query(
        `INSERT INTO person_overrides (project_id, distinct_id, person_id) VALUES ($1, $2, $3)
         ON CONFLICT (project_id, distinct_id) DO UPDATE SET person_id = EXCLUDED.person_id`,
        [op.projectId, op.from, op.into],
      );
      await client.query(`DELETE FROM profile_state WHERE project_id = $1 AND profile_id = $2`, [op.projectId, op.from]);
    }
  }
}
