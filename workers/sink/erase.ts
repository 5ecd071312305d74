/**
 * GDPR deletion jobs (profile_deletions), run by the process that owns the DuckDB file: DuckDB
 * allows one process per file, and this one already writes it (the sink) and deletes from it
 * (retention). A poller claims pending jobs from Postgres, so a job the app queued survives a
 * worker restart, and a job whose worker died mid-way is claimed again once its heartbeat is stale.
 * Every step is idempotent (a DELETE by project and profile ids), so running a job twice is safe.
 */
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { PrismaClient } from "../../src/generated/prisma/client";
import { parseDeletionSteps, type ProfileDeletionStep, type ProfileDeletionTable } from "../../src/contracts/profile-deletion";
import type { Logger } from "../../src/platform/logger";
import { deleteEventsCounted } from "./rollups";

/** A running job untouched for this long belongs to a worker that stopped; another claims it. */
const STALE_MS = 5 * 60_000;
/** Failed attempts before a job is marked failed (it keeps its ids, so starting it again retries). */
const MAX_ATTEMPTS = 3;
/** Keys under which ingest formats and records name a profile (src/core/ingest/convert.ts). */
const PROFILE_KEYS = new Set(["profile_id", "user_id", "userId", "anonymousId"]);

export interface ClaimedDeletion {
  id: string;
  projectId: string;
  profileIds: string[];
  steps: ProfileDeletionStep[];
}

export interface ProfileDeletionJobs {
  /** Looks for work now rather than at the next poll. */
  wake(): void;
  /** Runs pending jobs until none is left (tests, and the poller's own loop). */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

export function startProfileDeletions(opts: { duckdb: DuckDBInstance; prisma: PrismaClient; log: Logger; pollMs?: number }): ProfileDeletionJobs {
  const pollMs = opts.pollMs ?? 2000;
  let stopped = false;
  let running: Promise<number> | null = null;
  let timer: NodeJS.Timeout | undefined;

  const drain = (): Promise<number> => {
    // One job at a time: deletions are rare, and DuckDB deletes contend with the sink's writes.
    running ??= (async () => {
      let done = 0;
      try {
        for (;;) {
          if (stopped) return done;
          const job = await claimDeletion(opts.prisma);
          if (!job) return done;
          await runDeletion(opts.duckdb, opts.prisma, job, opts.log);
          done++;
        }
      } finally {
        running = null;
      }
    })();
    return running;
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      void drain()
        .catch((error: unknown) => opts.log.warn({ err: error }, "profile deletions: could not look for jobs; will retry"))
        .finally(schedule);
    }, pollMs);
    timer.unref();
  };
  schedule();

  return {
    wake: () => void drain().catch((error: unknown) => opts.log.warn({ err: error }, "profile deletions: could not look for jobs")),
    drain,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}

/** Takes the oldest pending job, or a running one whose worker went quiet; SKIP LOCKED keeps two workers off the same job. */
export async function claimDeletion(prisma: PrismaClient): Promise<ClaimedDeletion | null> {
  const rows = await prisma.$queryRaw<Array<{ id: string; project_id: string; profile_ids: string[]; steps: unknown }>>`
    UPDATE profile_deletions
       SET status = 'running', attempts = attempts + 1, started_at = coalesce(started_at, now()), heartbeat_at = now()
     WHERE id = (SELECT id FROM profile_deletions
                  WHERE status = 'pending' OR (status = 'running' AND heartbeat_at < now() - make_interval(secs => ${STALE_MS / 1000}))
                  ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING id, project_id, profile_ids, steps`;
  const row = rows[0];
  return row ? { id: row.id, projectId: row.project_id, profileIds: row.profile_ids, steps: parseDeletionSteps(row.steps) } : null;
}

/**
 * Runs a claimed job's remaining steps, saving progress after each; on success the ids are
 * emptied from the row, which keeps only their digests, who asked, when, and the counts.
 */
export async function runDeletion(duckdb: DuckDBInstance, prisma: PrismaClient, job: ClaimedDeletion, log: Logger): Promise<void> {
  const steps = job.steps.map((step) => ({ ...step }));
  try {
    for (const step of steps) {
      if (step.status === "done") continue;
      const removed = step.store === "duckdb" ? await deleteFromDuckDB(duckdb, step.table, job) : await deleteFromPostgres(prisma, step.table, job);
      step.removed += removed;
      step.status = "done";
      await prisma.profileDeletion.update({ where: { id: job.id }, data: { steps, heartbeatAt: new Date() } });
    }
    await prisma.profileDeletion.update({
      where: { id: job.id },
      data: { status: "done", profileIds: [], error: null, finishedAt: new Date(), heartbeatAt: new Date() },
    });
    log.info({ deletion: job.id, projectId: job.projectId, removed: steps.reduce((sum, step) => sum + step.removed, 0) }, "profile deleted");
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0]!.slice(0, 500) : String(error);
    const attempts = (await prisma.profileDeletion.findUnique({ where: { id: job.id }, select: { attempts: true } }))?.attempts ?? MAX_ATTEMPTS;
    // Retried at the next poll; after MAX_ATTEMPTS it waits for someone to start it again.
    await prisma.profileDeletion.update({
      where: { id: job.id },
      data: { status: attempts >= MAX_ATTEMPTS ? "failed" : "pending", steps, error: message, heartbeatAt: new Date() },
    });
    log.warn({ err: error, deletion: job.id }, "profile deletion step failed");
  }
}

type Target = Pick<ClaimedDeletion, "projectId" | "profileIds">;

/** `$2, $3, …` for the ids, after the project id's `$1`. */
function idParams(job: Target): { list: string; values: string[] } {
  return { list: job.profileIds.map((_, index) => `$${index + 2}`).join(", "), values: [job.projectId, ...job.profileIds] };
}

export async function deleteFromDuckDB(duckdb: DuckDBInstance, table: ProfileDeletionTable, job: Target): Promise<number> {
  const { list, values } = idParams(job);
  const connection = await duckdb.connect();
  try {
    switch (table) {
      case "events":
        // The hourly counts lose the same events, in the same transaction.
        return await retryOnConflict(() => deleteEventsCounted(connection, `profile_id IN (${list})`, values));
      case "profile_changes":
      case "trigger_logs":
      case "cohort_members":
      case "profiles":
        return await deleteRetrying(connection, `DELETE FROM ${table} WHERE project_id = $1 AND profile_id IN (${list})`, values);
      case "action_results":
        return await deleteRetrying(
          connection,
          `DELETE FROM action_results WHERE project_id = $1
              AND firing_id IN (SELECT firing_id FROM trigger_logs WHERE project_id = $1 AND profile_id IN (${list}))`,
          values,
        );
      case "dead_letters":
        return await deleteDeadLetters(connection, job);
      case "person_overrides":
        // Rows merging one of the ids and rows pointing at one: the job's ids are the whole person.
        return await deleteRetrying(
          connection,
          `DELETE FROM person_overrides WHERE project_id = $1 AND (distinct_id IN (${list}) OR person_id IN (${list}))`,
          values,
        );
      default:
        throw new Error(`${table} is not a DuckDB table`);
    }
  } finally {
    connection.closeSync();
  }
}

/**
 * The sink appends and upserts on its own connection; a delete touching a row it changes at the
 * same moment fails with a write conflict, which clears on a retry.
 */
async function deleteRetrying(connection: DuckDBConnection, sql: string, values: string[]): Promise<number> {
  return retryOnConflict(async () => Number((await connection.run(sql, values)).rowsChanged));
}

async function retryOnConflict(work: () => Promise<number>): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= 5 || !/conflict/i.test(error instanceof Error ? error.message : String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/**
 * Dead letters keep the refused payload as sent: an ingest body, or a consumer's record as text
 * (base64 when it was not UTF-8). Candidates are the project's letters whose text contains an id
 * (and every base64 one); each is then decoded and kept unless a profile key holds one of the ids,
 * so a letter that merely mentions the id elsewhere (an event named like it) is not deleted.
 * Letters without a project (unreadable records) cannot be attributed to a tenant and are left.
 */
async function deleteDeadLetters(connection: DuckDBConnection, job: Target): Promise<number> {
  const mentions = job.profileIds.map((_, index) => `contains(CAST(payload AS VARCHAR), $${index + 2}) OR contains(CAST(origin AS VARCHAR), $${index + 2})`);
  const reader = await connection.runAndReadAll(
    `SELECT dlq_id, CAST(payload AS VARCHAR) AS payload, payload_encoding, CAST(origin AS VARCHAR) AS origin FROM dead_letters
      WHERE project_id = $1 AND (payload_encoding = 'base64' OR ${mentions.join(" OR ")})`,
    [job.projectId, ...job.profileIds],
  );
  const ids = new Set(job.profileIds);
  const doomed = reader
    .getRowObjectsJS()
    .filter((row) =>
      letterConcerns(String(row.payload), row.payload_encoding === null ? null : String(row.payload_encoding), row.origin as string | null, job.projectId, ids),
    )
    .map((row) => String(row.dlq_id));
  let removed = 0;
  for (let start = 0; start < doomed.length; start += 500) {
    const chunk = doomed.slice(start, start + 500);
    removed += await deleteRetrying(
      connection,
      `DELETE FROM dead_letters WHERE project_id = $1 AND dlq_id IN (${chunk.map((_, i) => `$${i + 2}`).join(", ")})`,
      [job.projectId, ...chunk],
    );
  }
  return removed;
}

/** Whether a stored letter is about one of `ids`: its payload names one under a profile key, or its record was keyed by it. */
export function letterConcerns(payloadJson: string, encoding: string | null, originJson: string | null, projectId: string, ids: ReadonlySet<string>): boolean {
  const keys = new Set([...ids].map((id) => `${projectId}:${id}`));
  try {
    const origin = originJson ? (JSON.parse(originJson) as { key?: unknown }) : null;
    if (typeof origin?.key === "string" && keys.has(origin.key)) return true;
  } catch {
    // no origin to go by
  }
  let payload: unknown;
  try {
    payload = JSON.parse(payloadJson);
  } catch {
    return false;
  }
  // A consumer's letter holds the record's text; decode it and look inside.
  if (typeof payload === "string") {
    const text = encoding === "base64" ? Buffer.from(payload, "base64").toString("utf8") : payload;
    try {
      payload = JSON.parse(text);
    } catch {
      // Not JSON at all: only an exact quoted id can tie it to the person.
      return [...ids].some((id) => text.includes(JSON.stringify(id)));
    }
  }
  return namesProfile(payload, ids, 0);
}

function namesProfile(value: unknown, ids: ReadonlySet<string>, depth: number): boolean {
  if (depth > 32 || value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return value.some((item) => namesProfile(item, ids, depth + 1));
  for (const [key, item] of Object.entries(value)) {
    if (PROFILE_KEYS.has(key) && typeof item === "string" && ids.has(item)) return true;
    if (namesProfile(item, ids, depth + 1)) return true;
  }
  return false;
}

/**
 * Window state, props and cooldowns live in one profile_state row. Webhook deliveries carry the
 * firing's payload (event and profile), so those naming the profile go, with their attempts.
 */
export async function deleteFromPostgres(prisma: PrismaClient, table: ProfileDeletionTable, job: Target): Promise<number> {
  switch (table) {
    case "profile_state":
      return await prisma.$executeRaw`DELETE FROM profile_state WHERE project_id = ${job.projectId} AND profile_id = ANY(${job.profileIds}::text[])`;
    case "webhook_deliveries":
      return await prisma.$executeRaw`
        DELETE FROM webhook_deliveries WHERE project_id = ${job.projectId}
           AND (payload->'event'->>'profile_id' = ANY(${job.profileIds}::text[]) OR payload->'profile'->>'profile_id' = ANY(${job.profileIds}::text[]))`;
    case "person_overrides":
      return await prisma.$executeRaw`
        DELETE FROM person_overrides WHERE project_id = ${job.projectId}
           AND (distinct_id = ANY(${job.profileIds}::text[]) OR person_id = ANY(${job.profileIds}::text[]))`;
    case "identified_profiles":
      return await prisma.$executeRaw`DELETE FROM identified_profiles WHERE project_id = ${job.projectId} AND profile_id = ANY(${job.profileIds}::text[])`;
    default:
      throw new Error(`${table} is not a Postgres table`);
  }
}
