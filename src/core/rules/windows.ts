/**
 * Sliding windows of one profile, on event time. Pure, so the worker (workers/processor/windows.ts)
 * and the triggers `test` procedure share it. The processor adds each event a rule's window reads
 * (with only the props rules aggregate), asks for a reader as seen by the event, and stores the
 * entries as JSON in `profile_state.windows` between batches.
 *
 * Determinism: an event sees the entries ordered at or before it by (time, event id), so the
 * answer does not depend on arrival order or redelivery, as long as events arrive no later than
 * ALLOWED_LATENESS_MS behind the newest one; prune keeps exactly what such events can still see.
 */
import type { WindowReader } from "./rules";

export interface WindowEntry {
  /** Event id: the idempotency key. */
  id: string;
  /** Event name. */
  n: string;
  /** Event time, epoch ms. */
  t: number;
  /** Only the props some rule aggregates. */
  v?: Record<string, number | string>;
}

export const ALLOWED_LATENESS_MS = 5 * 60_000;

/** (t, id) order: the order every reader agrees on. */
function before(a: { t: number; id: string }, b: { t: number; id: string }): boolean {
  return a.t < b.t || (a.t === b.t && a.id < b.id);
}

/** First index whose entry is after `at` in (t, id) order. */
function upperBound(entries: WindowEntry[], at: { t: number; id: string }): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(at, entries[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** First index whose time is after `t`. */
function firstAfter(entries: WindowEntry[], t: number, hi: number): number {
  let lo = 0;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid]!.t > t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function isEntry(value: unknown): value is WindowEntry {
  if (typeof value !== "object" || value === null) return false;
  const entry = value as Partial<WindowEntry>;
  return (
    typeof entry.id === "string" &&
    typeof entry.n === "string" &&
    typeof entry.t === "number" &&
    Number.isFinite(entry.t) &&
    (entry.v === undefined || (typeof entry.v === "object" && entry.v !== null && !Array.isArray(entry.v)))
  );
}

class Reader implements WindowReader {
  constructor(
    private readonly byName: Map<string, WindowEntry[]>,
    private readonly at: { t: number; id: string },
  ) {}

  /** The slice of `name`'s entries inside the window, as [from, to). */
  private range(name: string, durationMs: number): [WindowEntry[], number, number] | null {
    const entries = this.byName.get(name);
    if (!entries) return null;
    const to = upperBound(entries, this.at);
    return [entries, firstAfter(entries, this.at.t - durationMs, to), to];
  }

  count(name: string, durationMs: number): number {
    const range = this.range(name, durationMs);
    return range ? range[2] - range[1] : 0;
  }

  /** Calls `visit` with each numeric value of `prop` in the window; returns how many there were. */
  private numbers(name: string, prop: string, durationMs: number, visit: (value: number) => void): number {
    const range = this.range(name, durationMs);
    if (!range) return 0;
    const [entries, from, to] = range;
    let seen = 0;
    for (let i = from; i < to; i++) {
      const value = entries[i]!.v?.[prop];
      if (typeof value === "number" && Number.isFinite(value)) {
        visit(value);
        seen++;
      }
    }
    return seen;
  }

  sum(name: string, prop: string, durationMs: number): number {
    let total = 0;
    this.numbers(name, prop, durationMs, (value) => (total += value));
    return total;
  }

  avg(name: string, prop: string, durationMs: number): number | null {
    let total = 0;
    const seen = this.numbers(name, prop, durationMs, (value) => (total += value));
    return seen === 0 ? null : total / seen;
  }

  min(name: string, prop: string, durationMs: number): number | null {
    let least = Infinity;
    const seen = this.numbers(name, prop, durationMs, (value) => (least = Math.min(least, value)));
    return seen === 0 ? null : least;
  }

  max(name: string, prop: string, durationMs: number): number | null {
    let most = -Infinity;
    const seen = this.numbers(name, prop, durationMs, (value) => (most = Math.max(most, value)));
    return seen === 0 ? null : most;
  }

  distinct(name: string, prop: string, durationMs: number): number {
    const range = this.range(name, durationMs);
    if (!range) return 0;
    const [entries, from, to] = range;
    // 1 and "1" are different values, as they are in the event.
    const values = new Set<number | string>();
    for (let i = from; i < to; i++) {
      const value = entries[i]!.v?.[prop];
      if (typeof value === "string" || (typeof value === "number" && Number.isFinite(value))) values.add(value);
    }
    return values.size;
  }
}

export class ProfileWindows {
  /** Per event name, sorted by (t, id): a count is two binary searches. */
  private readonly byName = new Map<string, WindowEntry[]>();
  private readonly ids = new Set<string>();
  private newestT = -Infinity;
  /** Entries at or before this time were pruned; a redelivery of one must not come back. */
  private prunedThrough = -Infinity;

  /** Malformed stored entries (not the shape above) are skipped rather than trusted. */
  constructor(entries: readonly WindowEntry[] = []) {
    for (const entry of entries) if (isEntry(entry)) this.add(entry);
  }

  /** False when the entry is already present (a redelivery) or older than what prune has dropped. */
  add(entry: WindowEntry): boolean {
    if (this.ids.has(entry.id) || entry.t <= this.prunedThrough) return false;
    this.ids.add(entry.id);
    let list = this.byName.get(entry.n);
    if (!list) {
      list = [];
      this.byName.set(entry.n, list);
    }
    // Mostly appends: events of a profile arrive roughly in time order.
    const last = list[list.length - 1];
    if (!last || before(last, entry)) list.push(entry);
    else list.splice(upperBound(list, entry), 0, entry);
    if (entry.t > this.newestT) this.newestT = entry.t;
    return true;
  }

  /** The window as seen by the event `at`: entries with (t, id) <= (at.t, at.id) and t > at.t - duration. */
  reader(at: { t: number; id: string }): WindowReader {
    return new Reader(this.byName, { t: at.t, id: at.id });
  }

  /** Drops entries no event within the allowed lateness can see: t <= newestT - (maxDurationMs + lateness). */
  prune(maxDurationMs: number): void {
    if (this.newestT === -Infinity) return;
    const cutoff = this.newestT - (Math.max(0, maxDurationMs) + ALLOWED_LATENESS_MS);
    if (cutoff <= this.prunedThrough) return;
    this.prunedThrough = cutoff;
    for (const [name, list] of this.byName) {
      const keepFrom = firstAfter(list, cutoff, list.length);
      if (keepFrom === 0) continue;
      for (let i = 0; i < keepFrom; i++) this.ids.delete(list[i]!.id);
      if (keepFrom === list.length) this.byName.delete(name);
      else list.splice(0, keepFrom);
    }
  }

  /** All entries in (t, id) order. */
  toJSON(): WindowEntry[] {
    const all: WindowEntry[] = [];
    for (const list of this.byName.values()) for (const entry of list) all.push(entry);
    return all.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  }

  get size(): number {
    return this.ids.size;
  }
}
