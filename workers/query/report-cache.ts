/**
 * The query service's result cache for reports, so that 20 people opening one dashboard run its
 * reports once rather than 20 times.
 *
 * - Key: the report kind and its normalised input (project, time zone, definition with defaults).
 * - A report whose data can still change, because its range reaches the present, is served from the
 *   cache for at most `liveStaleMs` (default 10 s) after it was computed.
 * - A report over a range that has ended is served from the cache until its data changes: each
 *   request first reads the data's freshness (how many events the project has in the range the report
 *   scans, and the latest `received_at` among them; with profile.* fields, the same of `profiles`),
 *   which costs a scan of two columns instead of the report, and recomputes when it moved.
 * - Concurrent identical requests share one computation (single flight).
 * - Bounded: least recently used entries go past `maxEntries` or `maxBytes` (JSON size of results).
 * - `fresh: true` skips the cache (the refresh button) and stores the new result.
 * - Cohorts the report names are part of the key with their version, which the app bumps when a
 *   cohort's definition or static members change. A dynamic cohort is evaluated "now" over events
 *   outside the report's range and over profiles, so a report naming one is kept as live data.
 */
import type { ReportMetrics } from "./report-metrics";
import { measured } from "./report-metrics";
import { comparisonRange } from "./compare";
import type { FunnelDef, QueryDef, RetentionDef, RunQuery, SegmentDef, TrendDef } from "./reports";
import type { PathsDef } from "./paths";
import { Params } from "./sql";
import type { ResolvedCohort } from "../../src/core/cohorts";

export type ReportKind = "query" | "trend" | "funnel" | "segment" | "retention" | "paths";
type Definition = QueryDef | TrendDef | FunnelDef | SegmentDef | RetentionDef | PathsDef;

export interface ReportRequest {
  projectId: string;
  timezone?: string;
  definition: Definition;
  fresh?: boolean;
  /** The cohorts the definition names, as the app resolved them. */
  cohorts?: ResolvedCohort[];
}

/** What every report answer carries besides the report itself. */
export interface Computed {
  /** When the answer was computed (ISO): the UI says "updated N s ago". */
  computedAt: string;
  /** True when the answer came from the cache or from an identical request's computation. */
  cached: boolean;
}

export interface ReportCacheOptions {
  /** How long a report over live data may be served from the cache. Default 10 s. */
  liveStaleMs: number;
  /** At most this many results; 0 turns the cache off (single flight stays). Default 500. */
  maxEntries: number;
  /** At most this many bytes of results (their JSON size). Default 64 MiB. */
  maxBytes: number;
}

export const DEFAULT_REPORT_CACHE: ReportCacheOptions = { liveStaleMs: 10_000, maxEntries: 500, maxBytes: 64 * 1024 * 1024 };

interface Entry {
  value: unknown;
  bytes: number;
  computedAt: number;
  /** The data's freshness when computed; null for live data (kept by age instead). */
  freshness: string | null;
}

interface Flight {
  promise: Promise<{ value: unknown; computedAt: number }>;
  freshness: string | null;
}

export class ReportCache {
  private readonly entries = new Map<string, Entry>();
  private readonly flights = new Map<string, Flight>();
  private readonly probes = new Map<string, Promise<string>>();
  private bytes = 0;
  readonly options: ReportCacheOptions;

  constructor(
    private readonly run: RunQuery,
    private readonly metrics: ReportMetrics | undefined,
    options: Partial<ReportCacheOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULT_REPORT_CACHE, ...options };
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  async answer<T extends object>(kind: ReportKind, request: ReportRequest, compute: () => Promise<T>): Promise<T & Computed> {
    const cohorts = request.cohorts ?? [];
    const key = `${kind}\u0000${stableJson({ projectId: request.projectId, timezone: request.timezone ?? null, definition: request.definition, cohorts })}`;
    const scan = scannedRange(kind, request.definition, request.timezone ?? "UTC");
    const live = Date.parse(scan.to) > this.now() || cohorts.some((cohort) => cohort.kind === "dynamic");
    const freshness = live ? null : await this.freshness(request.projectId, scan, usesProfiles(request.definition));

    if (!request.fresh) {
      const entry = this.entries.get(key);
      if (entry && (live ? this.now() - entry.computedAt <= this.options.liveStaleMs : entry.freshness === freshness)) {
        this.touch(key, entry);
        return this.served(kind, entry.value as T, entry.computedAt);
      }
      const flight = this.flights.get(key);
      if (flight && flight.freshness === freshness) {
        const shared = await measured(this.metrics, kind, () => flight.promise, "cached");
        return { ...(shared.value as T), computedAt: new Date(shared.computedAt).toISOString(), cached: true };
      }
    }

    const computedAt = this.now();
    const promise = measured(this.metrics, kind, compute).then((value) => ({ value: value as unknown, computedAt }));
    const flight: Flight = { promise, freshness };
    this.flights.set(key, flight);
    try {
      const { value } = await promise;
      this.store(key, { value, bytes: 0, computedAt, freshness });
      return { ...(value as T), computedAt: new Date(computedAt).toISOString(), cached: false };
    } finally {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    }
  }

  private served<T extends object>(kind: ReportKind, value: T, computedAt: number): T & Computed {
    this.metrics?.total.inc({ kind, outcome: "cached" });
    this.metrics?.duration.observe({ kind, outcome: "cached" }, 0);
    return { ...value, computedAt: new Date(computedAt).toISOString(), cached: true };
  }

  /** The data's freshness over a range; concurrent identical probes share one query. */
  private freshness(projectId: string, scan: { from: string | null; to: string }, profiles: boolean): Promise<string> {
    const key = `${projectId}\u0000${scan.from}\u0000${scan.to}\u0000${profiles}`;
    let probe = this.probes.get(key);
    if (!probe) {
      probe = this.run(freshnessQuery(projectId, scan, profiles))
        .then(([row]) =>
          [row?.n, row?.latest, row?.profiles, row?.profiles_latest, row?.persons, row?.persons_hash].map((value) => String(value ?? "")).join("|"),
        )
        .finally(() => this.probes.delete(key));
      this.probes.set(key, probe);
    }
    return probe;
  }

  private store(key: string, entry: Entry): void {
    if (this.options.maxEntries === 0) return;
    const bytes = Buffer.byteLength(JSON.stringify(entry.value) ?? "");
    if (bytes > this.options.maxBytes) return;
    this.remove(key);
    this.entries.set(key, { ...entry, bytes });
    this.bytes += bytes;
    // Map order is insertion order, refreshed on each hit: the first key is the least recently used.
    for (const [oldest] of this.entries) {
      if (this.entries.size <= this.options.maxEntries && this.bytes <= this.options.maxBytes) break;
      this.remove(oldest);
    }
  }

  private touch(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }
}

/** The event times a report reads: its range, widened by a trend's comparison and a funnel's window; retention reads every earlier event. */
export function scannedRange(kind: ReportKind, definition: Definition, timezone: string): { from: string | null; to: string } {
  const { range } = definition;
  if (kind === "trend") {
    const trend = definition as TrendDef;
    return { from: trend.compare ? comparisonRange(range, trend.compareTo, timezone).from : range.from, to: range.to };
  }
  if (kind === "funnel") return { from: range.from, to: new Date(Date.parse(range.to) + (definition as FunnelDef).windowSeconds * 1000).toISOString() };
  if (kind === "retention") return { from: null, to: range.to };
  return { from: range.from, to: range.to };
}

function usesProfiles(definition: Definition): boolean {
  return JSON.stringify(definition).includes('"profile.');
}

function freshnessQuery(projectId: string, scan: { from: string | null; to: string }, profiles: boolean) {
  const params = new Params();
  const project = params.add(projectId);
  const where = [`project_id = ${project}`, `ts < ${params.timestamp(scan.to)}`];
  if (scan.from !== null) where.push(`ts >= ${params.timestamp(scan.from)}`);
  const profileColumns = profiles
    ? `, (SELECT count(*) FROM profiles WHERE project_id = ${project}) AS profiles, (SELECT max(epoch_us(updated_at)) FROM profiles WHERE project_id = ${project}) AS profiles_latest`
    : "";
  // A merge (identity) changes past reports without adding an event: the overrides' fingerprint counts too.
  const persons = `, (SELECT count(*) FROM person_overrides WHERE project_id = ${project}) AS persons, (SELECT sum(hash(distinct_id, person_id)) FROM person_overrides WHERE project_id = ${project}) AS persons_hash`;
  return {
    sql: `SELECT count(*) AS n, max(epoch_us(received_at)) AS latest${profileColumns}${persons} FROM events WHERE ${where.join(" AND ")}`,
    params: params.values,
  };
}

/** JSON with object keys sorted, so equal inputs give equal keys whatever their key order. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${stableJson((value as Record<string, unknown>)[key])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
