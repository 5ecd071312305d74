/**
 * Cohort members for `profile.in_cohort('key')`, kept in memory per project for the cohorts that
 * enabled rules read, so evaluating an event never queries. The rule registry says which cohorts
 * are wanted at each reload (every 2 s); this cache loads their member ids from the query service
 * (DuckDB) and reloads each one every `refreshMs` (dynamic cohorts change as data arrives) and as
 * soon as the registry sees its version change (a new definition or static upload).
 *
 * Staleness: a member seen by rules is at most `refreshMs` plus one load behind the data, and a
 * cohort edit reaches rules within the registry's reload plus one load. Until a cohort's first load
 * its members are unknown, and a rule reading it does not fire (see CohortReader).
 */
import { createTRPCClient, httpLink } from "@trpc/client";
import superjson from "superjson";
import type { ResolvedCohort } from "../../src/core/cohorts";
import type { CohortMembership } from "../../src/core/processing";
import type { Logger } from "../../src/platform/logger";
import { createQueryCaller, type QueryRouter } from "../query/router";
import type { QueryRunner } from "../query/runner";
import { SECRET_HEADER } from "../query/service";

/** Every id naming a member of `cohort` (persons and the ids merged into them). */
export type CohortMemberSource = (projectId: string, cohort: ResolvedCohort) => Promise<string[]>;

/** The query service in this process (a worker that owns the DuckDB file: role `all`). */
export function localMemberSource(runner: QueryRunner, log: Logger): CohortMemberSource {
  const caller = createQueryCaller({ runner, log });
  return async (projectId, cohort) => (await caller.cohorts.memberIds({ projectId, cohort })).ids;
}

/** The query service of another worker (role `processor`, whose sink runs elsewhere), over HTTP with the internal secret. */
export function remoteMemberSource(url: string, secret: string): CohortMemberSource {
  const client = createTRPCClient<QueryRouter>({
    links: [
      httpLink({
        url: `${url.replace(/\/$/, "")}/query`,
        transformer: superjson,
        // A dynamic cohort's definition can be long; POST keeps it out of the URL.
        methodOverride: "POST",
        headers: () => ({ [SECRET_HEADER]: secret }),
      }),
    ],
  });
  return async (projectId, cohort) => (await client.cohorts.memberIds.query({ projectId, cohort })).ids;
}

export interface WantedCohort {
  projectId: string;
  cohort: ResolvedCohort;
}

interface Entry {
  projectId: string;
  cohort: ResolvedCohort;
  /** Null until the first load of this cohort (by id) succeeds. */
  members: ReadonlySet<string> | null;
  /** The version `members` were loaded at. */
  loadedVersion: string | null;
  /** When the next load is due (ms, the cache's clock). */
  dueAt: number;
  failures: number;
}

export interface CohortCacheOptions {
  /** How often each wanted cohort is reloaded. */
  refreshMs?: number;
  /** How often the cache looks for due loads. */
  tickMs?: number;
  now?: () => number;
}

const key = (projectId: string, cohortKey: string) => `${projectId}\u0000${cohortKey}`;
/** A failed load is retried sooner than a refresh, but not in a tight loop. */
const RETRY_MS = 5000;

export class CohortCache {
  private readonly entries = new Map<string, Entry>();
  private readonly refreshMs: number;
  private readonly tickMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private loading: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly source: CohortMemberSource,
    private readonly log: Logger,
    options: CohortCacheOptions = {},
  ) {
    this.refreshMs = options.refreshMs ?? 30_000;
    this.tickMs = options.tickMs ?? 1000;
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.timer = setInterval(() => void this.refresh(), this.tickMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** The project's membership as loaded; it follows later loads (the registry builds it once per reload). */
  view(projectId: string): CohortMembership {
    const entries = this.entries;
    return { members: (cohortKey) => entries.get(key(projectId, cohortKey))?.members ?? null };
  }

  /**
   * The cohorts enabled rules read now. New ones load at once, one whose version changed reloads
   * at once (its old members serve until then), one no rule reads any more is forgotten.
   */
  want(wanted: readonly WantedCohort[]): void {
    const keep = new Set<string>();
    let due = false;
    for (const { projectId, cohort } of wanted) {
      const entryKey = key(projectId, cohort.key);
      keep.add(entryKey);
      const entry = this.entries.get(entryKey);
      if (!entry || entry.cohort.id !== cohort.id) {
        // A new cohort, or the key now names another cohort (deleted and created again): nothing known.
        this.entries.set(entryKey, { projectId, cohort, members: null, loadedVersion: null, dueAt: 0, failures: 0 });
        due = true;
      } else if (entry.cohort.version !== cohort.version) {
        entry.cohort = cohort;
        entry.dueAt = 0;
        due = true;
      } else {
        entry.cohort = cohort;
      }
    }
    for (const entryKey of this.entries.keys()) if (!keep.has(entryKey)) this.entries.delete(entryKey);
    // Not waiting for the next tick: a new rule or an edited cohort is read right away.
    if (due) void this.refresh();
  }

  /** Loads every due cohort, one at a time (the query service is shared with reports). Resolves when done. */
  refresh(): Promise<void> {
    this.loading ??= this.loadDue().finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  private async loadDue(): Promise<void> {
    for (const [entryKey, entry] of [...this.entries]) {
      if (this.stopped) return;
      if (entry.dueAt > this.now()) continue;
      const cohort = entry.cohort;
      try {
        const ids = await this.source(entry.projectId, cohort);
        // Forgotten or replaced while loading: the answer is for a cohort no rule reads as such.
        if (this.entries.get(entryKey) !== entry || entry.cohort.id !== cohort.id) continue;
        entry.members = new Set(ids);
        entry.loadedVersion = cohort.version;
        entry.failures = 0;
        entry.dueAt = entry.cohort.version === cohort.version ? this.now() + this.refreshMs : 0;
        this.log.debug({ project_id: entry.projectId, cohort: cohort.key, members: ids.length }, "loaded cohort members");
      } catch (error) {
        entry.failures++;
        entry.dueAt = this.now() + Math.min(RETRY_MS * entry.failures, this.refreshMs);
        // Once per failure streak: the query service being down is one problem, not one per tick.
        if (entry.failures === 1) {
          this.log.warn(
            { project_id: entry.projectId, cohort: cohort.key, err: error },
            entry.members === null
              ? "could not load cohort members; rules reading this cohort do not fire until it loads"
              : "could not refresh cohort members; rules keep reading the last ones loaded",
          );
        }
      }
    }
  }

  /** For tests and metrics: what is loaded, by project and key. */
  loaded(): Array<{ projectId: string; key: string; version: string | null; members: number | null }> {
    return [...this.entries.values()].map((entry) => ({
      projectId: entry.projectId,
      key: entry.cohort.key,
      version: entry.loadedVersion,
      members: entry.members?.size ?? null,
    }));
  }
}
