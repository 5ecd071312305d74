/**
 * What every stage can store, defined once. Pure: no I/O.
 *
 * Ingest judges payloads with `toStorable` (normalise, or name the first refused value by its
 * JSON path); the wire schemas in ./events check the same rules with `storableProblem`, so a
 * record ingest acknowledged is never refused by a later stage. Why each rule exists:
 * - NUL (U+0000) in a string or key: PostgreSQL's jsonb (profile state) cannot hold it → refused.
 * - Lone UTF-16 surrogates: DuckDB stores VARCHARs as UTF-8 (a lone surrogate becomes U+FFFD)
 *   and its JSON functions fail on a lone-surrogate escape; jsonb refuses it → U+FFFD at ingest.
 * - Numbers: JSON.parse turns 1e999 into Infinity and rounds integers past 2^53 silently, so only
 *   finite numbers within ±(2^53 − 1) are taken as sent; -0 is written as 0 by every JSON writer.
 * - Depth, keys per object, key length and the size of an event bound every later walk and row.
 * - `__proto__`, `constructor`, `prototype` keys are refused: stages build objects from props.
 */
import type { JsonObject, JsonValue } from "./events";

export const STORABLE_LIMITS = {
  /** Objects and arrays nest at most this many levels inside a stored object (props, set, …). */
  maxDepth: 10,
  maxKeysPerObject: 1000,
  /** In UTF-16 code units, as JavaScript counts `length`. */
  maxKeyLength: 256,
  /** The largest magnitude a number may have: beyond it JSON.parse has already lost precision. */
  maxNumber: Number.MAX_SAFE_INTEGER,
  /** An event (its JSON) at ingest by default, and the most any deployment may configure. */
  defaultEventBytes: 32 * 1024,
  maxEventBytes: 1024 * 1024,
} as const;

/** Longest value of each context field, in UTF-16 code units. */
export const CONTEXT_LIMITS = {
  ip: 64,
  user_agent: 1024,
  locale: 64,
  device_type: 64,
  os: 64,
  app_version: 64,
  // Segment sends country names ("United States"), headers send ISO codes.
  country: 64,
  region: 64,
  city: 128,
  session_id: 128,
} as const;
export type ContextField = keyof typeof CONTEXT_LIMITS;

/** Keys that would reach or replace an object's prototype in JavaScript: refused everywhere a key is named. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

export interface StorableProblem {
  /** JSON path of the refused value, as `props.items[2].name`; "" for the value itself. */
  path: string;
  message: string;
}

export type Storable<T> = { ok: true; value: T } | { ok: false; problem: StorableProblem };

// ES2024 string methods (Node 20+, every V8 edge runtime); the project's lib is ES2023.
type UnicodeString = string & { isWellFormed(): boolean; toWellFormed(): string };
const isWellFormed = (value: string) => (value as UnicodeString).isWellFormed();
/** Lone surrogates → U+FFFD, what a UTF-8 encoder (DuckDB's VARCHAR included) writes for them. */
export const wellFormed = (value: string) => (value as UnicodeString).toWellFormed();

function stringProblem(value: string, normal: boolean): string | null {
  if (value.includes("\u0000")) return "contains a NUL character (U+0000)";
  if (normal && !isWellFormed(value)) return "contains a lone UTF-16 surrogate (ingest stores U+FFFD)";
  return null;
}

function numberProblem(value: number): string | null {
  if (!Number.isFinite(value)) return "is not a finite number";
  if (Math.abs(value) > STORABLE_LIMITS.maxNumber) return `is beyond ±(2^53 − 1); send larger numbers as strings`;
  return null;
}

/** A string as stored: lone surrogates become U+FFFD; NUL is refused. */
export function storableString(value: string, path: string): Storable<string> {
  const problem = stringProblem(value, false);
  return problem ? { ok: false, problem: { path, message: problem } } : { ok: true, value: wellFormed(value) };
}

class Refused {
  constructor(readonly problem: StorableProblem) {}
}

/** Where a walk is; the path text is only built for a refusal, which keeps the common case cheap. */
interface Walk {
  readonly root: string;
  readonly maxDepth: number;
  /** Build the storable copy (true), or only check that the value already is one (false). */
  readonly normalise: boolean;
  readonly segments: Array<string | number>;
}

function refuse(at: Walk, message: string): never {
  let path = at.root;
  for (const segment of at.segments) path = typeof segment === "number" ? `${path}[${segment}]` : path ? `${path}.${segment}` : segment;
  throw new Refused({ path, message });
}

/**
 * One walk for both uses: normalising returns the storable copy; checking returns the value
 * untouched and refuses anything not already in normal form. Recursion stops at `maxDepth`, so a
 * value nested 100,000 levels deep costs a dozen frames.
 */
function walk(value: unknown, at: Walk, level: number): JsonValue {
  switch (typeof value) {
    case "string": {
      const problem = stringProblem(value, !at.normalise);
      if (problem) refuse(at, problem);
      return at.normalise ? wellFormed(value) : value;
    }
    case "number": {
      const problem = numberProblem(value);
      if (problem) refuse(at, problem);
      if (Object.is(value, -0)) return at.normalise ? 0 : refuse(at, "is -0 (ingest stores 0)");
      return value;
    }
    case "boolean":
      return value;
    case "object":
      if (value === null) return null;
      if (level > at.maxDepth) refuse(at, `nests deeper than ${at.maxDepth} levels`);
      return Array.isArray(value) ? walkArray(value, at, level + 1) : walkObject(value as Record<string, unknown>, at, level + 1);
    default:
      return refuse(at, "is not a JSON value");
  }
}

function walkArray(value: unknown[], at: Walk, level: number): JsonValue[] {
  const out: JsonValue[] = at.normalise ? new Array<JsonValue>(value.length) : [];
  const depth = at.segments.push(0);
  for (let i = 0; i < value.length; i++) {
    at.segments[depth - 1] = i;
    const item = walk(value[i], at, level);
    if (at.normalise) out[i] = item;
  }
  at.segments.pop();
  return at.normalise ? out : (value as JsonValue[]);
}

function walkObject(value: Record<string, unknown>, at: Walk, level: number): JsonObject {
  const keys = Object.keys(value);
  if (keys.length > STORABLE_LIMITS.maxKeysPerObject) refuse(at, `has more than ${STORABLE_LIMITS.maxKeysPerObject} keys`);
  const out: JsonObject = {};
  const depth = at.segments.push("");
  for (const key of keys) {
    at.segments[depth - 1] = key;
    if (RESERVED_KEYS.has(key)) refuse(at, `the key "${key}" is not allowed`);
    if (key.length > STORABLE_LIMITS.maxKeyLength) refuse(at, `the key is longer than ${STORABLE_LIMITS.maxKeyLength} characters`);
    const keyProblem = stringProblem(key, !at.normalise);
    if (keyProblem) refuse(at, `the key ${keyProblem}`);
    const child = walk(value[key], at, level);
    if (!at.normalise) continue;
    const storedKey = wellFormed(key);
    if (storedKey !== key && Object.prototype.hasOwnProperty.call(out, storedKey)) refuse(at, "two keys read the same once lone surrogates become U+FFFD");
    out[storedKey] = child;
  }
  at.segments.pop();
  return at.normalise ? out : (value as JsonObject);
}

function attempt<T>(run: () => T): Storable<T> {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    if (error instanceof Refused) return { ok: false, problem: error.problem };
    throw error;
  }
}

/**
 * The storable form of a parsed JSON value (lone surrogates → U+FFFD, -0 → 0), or the first value
 * that cannot be stored. `maxDepth` counts the levels of objects and arrays inside `value`.
 */
export function toStorable(value: unknown, path = "", maxDepth: number = STORABLE_LIMITS.maxDepth): Storable<JsonValue> {
  return attempt(() => walk(value, { root: path, maxDepth, normalise: true, segments: [] }, 0));
}

/** Null when `value` is storable and already in the form ingest stores; else the first problem. */
export function storableProblem(value: unknown, path = "", maxDepth: number = STORABLE_LIMITS.maxDepth): StorableProblem | null {
  const result = attempt(() => walk(value, { root: path, maxDepth, normalise: false, segments: [] }, 0));
  return result.ok ? null : result.problem;
}

/** Null when `value` is a storable string in normal form (lengths are each field's own rule). */
export function storableStringProblem(value: string, path: string): StorableProblem | null {
  const problem = stringProblem(value, true);
  return problem ? { path, message: problem } : null;
}

/** Bytes of the event as it travels (its JSON in UTF-8). Only for values already judged storable. */
export function jsonBytes(value: JsonValue | object): number {
  return new TextEncoder().encode(JSON.stringify(value)).length;
}

/**
 * A copy of any parsed JSON value that is safe to serialise: levels below `maxDepth` are replaced
 * by a marker. Dead letters keep what they can of a refused payload without recursing without end.
 */
export function boundedCopy(value: unknown, maxDepth = 32, level = 0): JsonValue {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value !== "object") return null;
  if (level >= maxDepth) return `[nested deeper than ${maxDepth} levels]`;
  if (Array.isArray(value)) return value.map((item) => boundedCopy(item, maxDepth, level + 1));
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    // defineProperty: a "__proto__" key stays an own key of the copy instead of setting its prototype.
    Object.defineProperty(out, key, { value: boundedCopy(child, maxDepth, level + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
