/**
 * Import and backfill: files of past events → the inputs live ingest judges (./judge), line by
 * line. Pure: the server streams the upload through `createRecordReader`, turns each record into an
 * input with `importInputOf`, and judges chunks with `judgeImport`.
 *
 * - Formats: NDJSON of anything live ingest takes (internal, tracking, Segment); Segment export
 *   files (track, identify, page, screen); Mixpanel export files (`{event, properties: {time,
 *   distinct_id, $insert_id, …}}`); CSV with a header row.
 * - Idempotent: every imported event gets an event_id that depends only on the file's content
 *   (the one it carries, Segment's messageId, a digest of Mixpanel's dedup key, or a digest of the
 *   line), so importing the same file again stores nothing new.
 * - Every imported event needs its own time: "now" would be a different time on each import.
 * - Time bounds are live ingest's: up to an hour ahead, and back to the project's retention.
 * - Accepted events carry `backfill` (src/core/events): the processor runs no rules on them unless
 *   the import asked to fire actions.
 */
import type { EventContext, InternalEvent, JsonObject, ProfileRecord, Violation, ViolationType } from "../events";
import { CONTEXT_LIMITS, type ContextField } from "../storable";
import { detectFormat } from "./convert";
import { judgeBatch, type JudgeContext } from "./judge";

export const IMPORT_FORMATS = ["ndjson", "csv", "segment", "mixpanel"] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

export const IMPORT_LIMITS = {
  /** The largest upload, in bytes. */
  maxFileBytes: 100 * 1024 * 1024,
  /** A line (a CSV record) longer than this, in UTF-16 code units, is refused without being kept. */
  maxLineChars: 1024 * 1024,
  /** Refusals kept on the job for the UI; the counts cover all of them. */
  maxRefusalsKept: 100,
} as const;

// ---------------------------------------------------------------------------------------------
// Deterministic ids

/** cyrb128: a fast 128-bit non-cryptographic hash, as 32 hex digits. Ids only need to be stable and spread. */
export function stableHash(text: string): string {
  let h1 = 1779033703,
    h2 = 3144134277,
    h3 = 1013904242,
    h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1, h2, h3, h4].map((h) => (h >>> 0).toString(16).padStart(8, "0")).join("");
}

/** The id a source gave, when ingest takes it as an event_id; otherwise a digest of it under `prefix`. */
function idFrom(prefix: string, sourceId: unknown, fallback: string): string {
  if (typeof sourceId === "string" && sourceId.length > 0 && sourceId.length <= 128 && /^[\w.:-]+$/.test(sourceId)) return sourceId;
  if (typeof sourceId === "string" && sourceId.length > 0) return `${prefix}-${stableHash(sourceId)}`;
  return `${prefix}-${stableHash(fallback)}`;
}

// ---------------------------------------------------------------------------------------------
// Reading records from a stream of text

/** One record of the file: its 1-based line number and text (JSON formats) or fields (CSV); `problem` when unreadable. */
export type FileRecord = { line: number; text: string } | { line: number; fields: string[] } | { line: number; problem: string };

export interface RecordReader {
  /** Records completed by this chunk of text. */
  push(chunk: string): FileRecord[];
  /** The last record, if the file does not end with a newline (or ends inside quotes). */
  end(): FileRecord[];
}

const tooLong = (line: number, maxChars: number): FileRecord => ({ line, problem: `the line is longer than ${maxChars} characters` });

/** Lines, for the JSON formats; blank lines are skipped, CRLF is taken as LF. */
function lineReader(maxChars: number): RecordReader {
  let pending = "";
  let dropping = false;
  let line = 1;
  const emit = (out: FileRecord[], text: string) => {
    const trimmed = text.endsWith("\r") ? text.slice(0, -1) : text;
    if (dropping) out.push(tooLong(line, maxChars));
    else if (trimmed.trim().length > 0) out.push({ line, text: trimmed });
    dropping = false;
    line++;
  };
  return {
    push(chunk) {
      const out: FileRecord[] = [];
      let start = 0;
      for (let newline = chunk.indexOf("\n"); newline !== -1; newline = chunk.indexOf("\n", start)) {
        emit(out, pending + chunk.slice(start, newline));
        pending = "";
        start = newline + 1;
      }
      if (!dropping) pending += chunk.slice(start);
      // An endless line is never held whole: past the limit it is only counted until its newline.
      if (pending.length > maxChars) {
        dropping = true;
        pending = "";
      }
      return out;
    },
    end() {
      const out: FileRecord[] = [];
      if (pending.length > 0 || dropping) emit(out, pending);
      pending = "";
      return out;
    },
  };
}

/** RFC 4180 records: quoted fields may hold commas, `""` and newlines; a record's line is the one it starts on. */
function csvReader(maxChars: number): RecordReader {
  let fields: string[] = [];
  let field = "";
  let quoted = false;
  /** Just read a quote inside a quoted field: either the end of the quotes or the first of `""`. */
  let quoteSeen = false;
  let size = 0;
  let dropping = false;
  let line = 1;
  let startLine = 1;
  let empty = true;

  const finish = (out: FileRecord[]) => {
    if (dropping) out.push(tooLong(startLine, maxChars));
    else if (!(empty && fields.length === 0 && field.length === 0)) {
      fields.push(field);
      out.push({ line: startLine, fields });
    }
    fields = [];
    field = "";
    size = 0;
    dropping = false;
    empty = true;
    startLine = line;
  };

  const step = (char: string, out: FileRecord[]) => {
    if (quoteSeen) {
      quoteSeen = false;
      if (char === '"') {
        field += '"';
        return;
      }
      quoted = false;
    }
    if (quoted) {
      if (char === '"') quoteSeen = true;
      else {
        if (char === "\n") line++;
        field += char;
      }
    } else if (char === '"' && field.length === 0) {
      quoted = true;
      empty = false;
    } else if (char === ",") {
      fields.push(field);
      field = "";
      empty = false;
    } else if (char === "\n") {
      if (field.endsWith("\r")) field = field.slice(0, -1);
      line++;
      finish(out);
    } else {
      field += char;
      empty = false;
    }
    if (++size > maxChars && !dropping) {
      dropping = true;
      fields = [];
      field = "";
    }
    if (dropping) field = "";
  };

  return {
    push(chunk) {
      const out: FileRecord[] = [];
      for (let i = 0; i < chunk.length; i++) step(chunk[i]!, out);
      return out;
    },
    end() {
      const out: FileRecord[] = [];
      if (quoteSeen) {
        quoteSeen = false;
        quoted = false;
      }
      if (field.endsWith("\r")) field = field.slice(0, -1);
      if (quoted) {
        out.push({ line: startLine, problem: "a quoted field is not closed before the end of the file" });
        fields = [];
        field = "";
        empty = true;
        return out;
      }
      finish(out);
      return out;
    },
  };
}

export function createRecordReader(format: ImportFormat, maxChars: number = IMPORT_LIMITS.maxLineChars): RecordReader {
  return format === "csv" ? csvReader(maxChars) : lineReader(maxChars);
}

// ---------------------------------------------------------------------------------------------
// Records → ingest inputs

export type ImportInput = { ok: true; input: unknown } | { ok: false; violation: Violation };

const malformed = (message: string, field?: string): ImportInput => ({ ok: false, violation: { type: "malformed", message, ...(field ? { field } : {}) } });
const needsTime = malformed("an imported event needs its timestamp (the time it happened)", "timestamp");

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const present = (value: unknown) => value !== undefined && value !== null && value !== "";

/** Segment messages: track and identify as live ingest takes them; page and screen become `page_view` and `screen_view` events. */
function fromSegmentMessage(message: Record<string, unknown>, text: string): ImportInput {
  const type = message.type;
  const messageId = idFrom("seg", message.messageId, text);
  if (type === "identify") return { ok: true, input: { ...message, messageId } };
  if (type !== "track" && type !== "page" && type !== "screen") {
    return malformed(`Segment "${String(type)}" calls are not imported; only track, identify, page and screen`, "type");
  }
  if (!present(message.timestamp) && !present(message.originalTimestamp)) return needsTime;
  if (type === "track") return { ok: true, input: { ...message, messageId } };
  const properties = isObject(message.properties) ? { ...message.properties } : {};
  if (typeof message.name === "string" && !("name" in properties)) properties.name = message.name;
  return { ok: true, input: { ...message, type: "track", event: type === "page" ? "page_view" : "screen_view", properties, messageId } };
}

/** Mixpanel's own props that fill Prism's context fields. */
const MIXPANEL_CONTEXT: ReadonlyArray<[string, ContextField]> = [
  ["$os", "os"],
  ["$city", "city"],
  ["$region", "region"],
  ["mp_country_code", "country"],
  ["$app_version_string", "app_version"],
  ["$device_type", "device_type"],
];

/**
 * `{event, properties: {time, distinct_id, $insert_id, …}}` → the internal form. Mixpanel
 * de-duplicates on (event, distinct_id, time, $insert_id), so the event_id is a digest of those.
 */
function fromMixpanel(value: unknown, text: string): ImportInput {
  if (!isObject(value)) return malformed("each line must be a JSON object");
  if (!isObject(value.properties)) return malformed("properties must be a JSON object", "properties");
  const { time, distinct_id, $insert_id, ...rest } = value.properties;
  if (!present(time)) return needsTime;
  const profileId = present(distinct_id) ? distinct_id : (rest.$user_id ?? rest.$device_id);
  const ctx: EventContext = {};
  for (const [prop, field] of MIXPANEL_CONTEXT) {
    const v = rest[prop];
    if (typeof v === "string" && v.length > 0 && v.length <= CONTEXT_LIMITS[field]) {
      ctx[field] = v;
      delete rest[prop];
    }
  }
  const eventId = present($insert_id) ? `mp-${stableHash(JSON.stringify([value.event, distinct_id ?? null, time, $insert_id]))}` : `mp-${stableHash(text)}`;
  return {
    ok: true,
    input: {
      event_name: value.event,
      event_id: eventId,
      cts: time,
      ...(present(profileId) ? { profile_id: profileId } : {}),
      props: rest,
      ctx,
    },
  };
}

/** NDJSON: anything live ingest takes, with an id and a time of its own. */
function fromNdjson(value: unknown, text: string): ImportInput {
  if (!isObject(value)) return malformed("each line must be a JSON object");
  if (value.type === "page" || value.type === "screen") return fromSegmentMessage(value, text);
  const format = detectFormat(value);
  if (format === "segment") return fromSegmentMessage(value, text);
  if (format === "internal") {
    if (!present(value.cts) && !present(value.timestamp)) return needsTime;
    return { ok: true, input: present(value.event_id) ? value : { ...value, event_id: idFrom("imp", undefined, text) } };
  }
  if (format === "tracking") {
    if (!present(value.timestamp)) return needsTime;
    return { ok: true, input: present(value.event_id) ? value : { ...value, event_id: idFrom("imp", undefined, text) } };
  }
  // Not an event ingest knows: convertEvent names the formats it expects.
  return { ok: true, input: value };
}

const NAME_COLUMNS = new Set(["event_name", "event", "event_type"]);
const TIME_COLUMNS = new Set(["timestamp", "time", "cts"]);
const PROFILE_COLUMNS = new Set(["profile_id", "user_id", "distinct_id"]);
const ID_COLUMNS = new Set(["event_id", "insert_id", "message_id"]);

/** A CSV cell as a JSON value: numbers, true/false and JSON objects/arrays as such; everything else a string. */
export function csvValue(cell: string): unknown {
  if (cell === "true" || cell === "false") return cell === "true";
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(cell)) {
    const number = Number(cell);
    if (Number.isFinite(number) && Math.abs(number) <= Number.MAX_SAFE_INTEGER) return number;
  }
  if ((cell.startsWith("{") && cell.endsWith("}")) || (cell.startsWith("[") && cell.endsWith("]"))) {
    try {
      return JSON.parse(cell) as unknown;
    } catch {
      return cell;
    }
  }
  return cell;
}

/**
 * A CSV row under its header → the internal form. Columns: `event_name` (or event, event_type),
 * `timestamp` (or time, cts), `profile_id` (or user_id, distinct_id), `event_id` (or insert_id,
 * message_id), `ctx.<field>` for context; every other column is a prop (`props.` prefix optional).
 * Empty cells are absent.
 */
function fromCsv(header: readonly string[], fields: readonly string[]): ImportInput {
  if (fields.length !== header.length) return malformed(`the row has ${fields.length} fields; the header has ${header.length}`);
  let name: unknown;
  let time: unknown;
  let profileId: unknown;
  let eventId: unknown;
  const props: JsonObject = {};
  const ctx: Record<string, string> = {};
  header.forEach((column, index) => {
    const cell = fields[index]!;
    if (cell === "") return;
    const key = column.trim();
    if (NAME_COLUMNS.has(key)) name = cell;
    else if (TIME_COLUMNS.has(key)) time = /^\d+$/.test(cell) ? Number(cell) : cell;
    else if (PROFILE_COLUMNS.has(key)) profileId = cell;
    else if (ID_COLUMNS.has(key)) eventId = cell;
    else if (key.startsWith("ctx.")) ctx[key.slice(4)] = cell;
    else
      Object.defineProperty(props, key.startsWith("props.") ? key.slice(6) : key, {
        value: csvValue(cell),
        enumerable: true,
        writable: true,
        configurable: true,
      });
  });
  if (!present(time)) return needsTime;
  return {
    ok: true,
    input: {
      event_name: name,
      event_id: idFrom("csv", eventId, JSON.stringify(fields)),
      cts: time,
      ...(present(profileId) ? { profile_id: profileId } : {}),
      props,
      ctx,
    },
  };
}

/** The CSV header, checked: it names the event and its time. */
export function csvHeader(fields: readonly string[]): { ok: true; header: string[] } | { ok: false; message: string } {
  const header = fields.map((field, index) => (index === 0 ? field.replace(/^\uFEFF/, "") : field).trim());
  if (!header.some((column) => NAME_COLUMNS.has(column))) return { ok: false, message: "the CSV header needs an event_name column" };
  if (!header.some((column) => TIME_COLUMNS.has(column))) return { ok: false, message: "the CSV header needs a timestamp column" };
  return { ok: true, header };
}

/** One record of the file as an input for judgeBatch, or why it cannot be one. CSV rows need the header. */
export function importInputOf(format: ImportFormat, record: FileRecord, header?: readonly string[]): ImportInput {
  if ("problem" in record) return malformed(record.problem);
  if ("fields" in record) {
    if (!header) return malformed("the CSV header is missing");
    return fromCsv(header, record.fields);
  }
  let value: unknown;
  try {
    value = JSON.parse(record.text);
  } catch {
    return malformed("the line is not valid JSON");
  }
  switch (format) {
    case "mixpanel":
      return fromMixpanel(value, record.text);
    case "segment":
      return isObject(value) ? fromSegmentMessage(value, record.text) : malformed("each line must be a JSON object");
    case "ndjson":
    case "csv":
      return fromNdjson(value, record.text);
  }
}

// ---------------------------------------------------------------------------------------------
// Judging

export interface ImportRefusal {
  line: number;
  reason: ViolationType;
  field?: string;
  message: string;
}

export interface ImportJudgement {
  accepted: Array<{ line: number; record: InternalEvent | ProfileRecord }>;
  refused: ImportRefusal[];
}

export interface BackfillOptions {
  jobId: string;
  /** Run the project's rules on the imported events, as if they had arrived live. */
  fireActions: boolean;
}

function refusalOf(line: number, violations: readonly Violation[]): ImportRefusal {
  const first = violations[0] ?? { type: "malformed" as const, message: "refused" };
  return {
    line,
    reason: first.type,
    ...(first.field !== undefined ? { field: first.field } : {}),
    message: violations.map((violation) => (violation.field ? `${violation.field}: ${violation.message}` : violation.message)).join("; "),
  };
}

/**
 * Judges a chunk of the file exactly as live ingest judges a batch (judgeBatch: the same plan, the
 * same refusals), by line number. Accepted events are marked as a backfill of `options.jobId`.
 */
export function judgeImport(records: ReadonlyArray<{ line: number; input: ImportInput }>, context: JudgeContext, options: BackfillOptions): ImportJudgement {
  const result: ImportJudgement = { accepted: [], refused: [] };
  const inputs: unknown[] = [];
  const lines: number[] = [];
  for (const { line, input } of records) {
    if (input.ok) {
      inputs.push(input.input);
      lines.push(line);
    } else result.refused.push(refusalOf(line, [input.violation]));
  }
  const judgement = judgeBatch(inputs, "event", context);
  for (const { index, record } of judgement.accepted) {
    const marked = record.type === "event" ? { ...record, backfill: { job_id: options.jobId, fire_actions: options.fireActions } } : record;
    result.accepted.push({ line: lines[index]!, record: marked });
  }
  for (const refusal of judgement.refused) result.refused.push(refusalOf(lines[refusal.index]!, refusal.violations));
  result.refused.sort((a, b) => a.line - b.line);
  return result;
}
