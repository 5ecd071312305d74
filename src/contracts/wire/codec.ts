/**
 * How records of the internal topics (`event.enriched`, `event.triggered`) travel: JSON text on the
 * embedded log and in development, Avro on Kafka (the spec's production format). Both kinds coexist
 * on a topic during a rollout and after one, so a reader tells them apart by the first byte:
 *
 *   JSON  `{…`                      a JSON object's text (never starts with a NUL byte)
 *   Avro  0x00, schema id, body     the id names the writer's schema (./schemas.ts); the body is
 *                                   Avro binary of that schema, read into the kind's newest version
 *
 * Avro records are written by the worker itself from typed values, so reading one needs no zod: its
 * schema fixes every field's type. JSON records are parsed with the zod schemas as before.
 */
import avro, { type Schema, type Type } from "avsc";
import { TOPIC } from "~/core/events";
import type { PersonMerge } from "~/core/identity";
import type { EnrichedEvent, ProfileChange } from "~/core/pipeline";
import type { ActionResultRecord, FiringRecord } from "../records";
import { assertBounded, typeHook, type TypeOptions } from "./avro-bounds";
import { CURRENT_SCHEMA_ID, WIRE_SCHEMAS, type WireRecordKind } from "./schemas";

export type RecordFormat = "json" | "avro";

/** The topic each kind of record travels on. */
export const TOPIC_OF_KIND: Readonly<Record<WireRecordKind, string>> = Object.freeze({
  enriched_event: TOPIC.enriched,
  profile_change: TOPIC.enriched,
  person_merge: TOPIC.enriched,
  firing: TOPIC.triggered,
  action_result: TOPIC.triggered,
});
export const RECORD_FORMATS = ["json", "avro"] as const satisfies readonly RecordFormat[];

/** The first byte of an Avro record; JSON text never starts with it. */
export const WIRE_MAGIC = 0x00;

/**
 * A free-form JSON object or array inside an Avro record, as its text (other readers see a string).
 * Only objects and arrays: a null must take the `null` branch of an optional field's union.
 */
class JsonText extends avro.types.LogicalType {
  protected override _fromValue(text: string): unknown {
    return JSON.parse(text);
  }
  protected override _toValue(value: unknown): string | undefined {
    return typeof value === "object" && value !== null ? JSON.stringify(value) : undefined;
  }
  protected override _resolve(writer: Type): ((value: unknown) => unknown) | undefined {
    if (avro.Type.isType(writer, "logical:json")) return (value) => value; // the writer's type parsed it already
    if (avro.Type.isType(writer, "string")) return (text) => JSON.parse(text as string);
    return undefined;
  }
}

// A fresh object per schema: avsc keeps its registry of named types in the options it is given.
const typeOptions = (): TypeOptions => ({ logicalTypes: { json: JsonText }, typeHook });

interface KindRecord {
  enriched_event: EnrichedEvent;
  profile_change: ProfileChange;
  person_merge: PersonMerge;
  firing: FiringRecord;
  action_result: ActionResultRecord;
}

/** A decoded Avro record with its kind. */
export type WireRecord = { [K in WireRecordKind]: { kind: K; record: KindRecord[K] } }[WireRecordKind];

/**
 * How a reader gets the `json` fields: parsed (JsonText), or as the text the writer's JSON.stringify
 * made, for a reader that stores the text anyway (the sink) and would only stringify it again.
 */
type JsonFields = "parsed" | "text";

// Without the logical type a `json` field reads as its underlying string, untouched.
const OPTIONS_OF: Record<JsonFields, () => TypeOptions> = { parsed: typeOptions, text: () => ({ typeHook }) };

/** A wire schema's avsc type, with bounded reads of its arrays and maps (exported for tests of shapes the wire schemas lack). */
export function wireType(schema: object, fields: JsonFields): Type {
  const type = avro.Type.forSchema(schema as Schema, OPTIONS_OF[fields]());
  assertBounded(type);
  return type;
}

const readerTypes: Record<JsonFields, Map<WireRecordKind, Type>> = { parsed: new Map(), text: new Map() };
/** The newest version of a kind: what it is written with and read into. */
function currentType(kind: WireRecordKind, fields: JsonFields = "parsed"): Type {
  let type = readerTypes[fields].get(kind);
  if (!type) {
    type = wireType(WIRE_SCHEMAS[CURRENT_SCHEMA_ID[kind]]!.schema, fields);
    readerTypes[fields].set(kind, type);
  }
  return type;
}

interface Reader {
  kind: WireRecordKind;
  type: Type;
  /** Set when the writer's version is older than the reader's. */
  resolver?: ReturnType<Type["createResolver"]>;
}
const readers: Record<JsonFields, Map<number, Reader | null>> = { parsed: new Map(), text: new Map() };

function readerFor(id: number, fields: JsonFields): Reader | null {
  let reader = readers[fields].get(id);
  if (reader !== undefined) return reader;
  const written = WIRE_SCHEMAS[id];
  if (!written) reader = null;
  else {
    const type = currentType(written.kind, fields);
    reader =
      CURRENT_SCHEMA_ID[written.kind] === id
        ? { kind: written.kind, type }
        : { kind: written.kind, type, resolver: type.createResolver(wireType(written.schema, fields)) };
  }
  readers[fields].set(id, reader);
  return reader;
}

// One growing scratch buffer: encoding happens synchronously, so it is never shared mid-write.
let scratch = Buffer.allocUnsafe(16 * 1024);

/** Avro of a record of `kind` in its newest version, behind the magic byte and the schema id. */
export function encodeAvro<K extends WireRecordKind>(kind: K, record: KindRecord[K]): Buffer {
  const type = currentType(kind);
  for (;;) {
    scratch[0] = WIRE_MAGIC;
    scratch[1] = CURRENT_SCHEMA_ID[kind];
    const end = type.encode(record, scratch, 2);
    if (end >= 0) return Buffer.from(scratch.subarray(0, end));
    scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, -end + 2));
  }
}

/** A record in the given format: JSON text, or Avro bytes. */
export function encodeRecord<K extends WireRecordKind>(format: RecordFormat, kind: K, record: KindRecord[K]): string | Buffer {
  return format === "avro" ? encodeAvro(kind, record) : JSON.stringify(record);
}

/** Whether a record's value is Avro (./codec's framing) rather than text. */
export function isAvroRecord(bytes: Uint8Array | undefined): bytes is Uint8Array {
  return bytes !== undefined && bytes.length >= 2 && bytes[0] === WIRE_MAGIC;
}

export type WireDecoded = ({ ok: true } & WireRecord) | { ok: false; error: string };

/** Reads an Avro record (whose first byte is WIRE_MAGIC) into its kind's newest version. */
export function decodeAvro(bytes: Uint8Array): WireDecoded {
  return decodeWith(bytes, "parsed") as WireDecoded;
}

/** A record with its `json` fields left as JSON text. */
type WithText<T, K extends keyof T> = Omit<T, K> & { [P in K]: undefined extends T[P] ? string | undefined : string };
export type EnrichedEventText = WithText<EnrichedEvent, "props" | "ctx" | "profile_props" | "violations">;
export type ProfileChangeText = WithText<ProfileChange, "set" | "set_once" | "props">;
export type FiringRecordText = Omit<WithText<FiringRecord, "actions">, "event"> & { event?: EnrichedEventText };

interface KindTextRecord {
  enriched_event: EnrichedEventText;
  profile_change: ProfileChangeText;
  person_merge: PersonMerge;
  firing: FiringRecordText;
  action_result: ActionResultRecord;
}
export type WireTextRecord = { [K in WireRecordKind]: { kind: K; record: KindTextRecord[K] } }[WireRecordKind];
export type WireTextDecoded = ({ ok: true } & WireTextRecord) | { ok: false; error: string };

/**
 * decodeAvro, but the `json` fields stay the JSON text their writer made (JsonText's JSON.stringify),
 * which is exactly what JSON.stringify of decodeAvro's parsed value gives back: no parse, no stringify.
 */
export function decodeAvroText(bytes: Uint8Array): WireTextDecoded {
  return decodeWith(bytes, "text") as WireTextDecoded;
}

function decodeWith(bytes: Uint8Array, fields: JsonFields): { ok: true; kind: WireRecordKind; record: unknown } | { ok: false; error: string } {
  if (!isAvroRecord(bytes)) return { ok: false, error: "not an Avro record" };
  const reader = readerFor(bytes[1]!, fields);
  if (!reader) return { ok: false, error: `unknown Avro schema id ${bytes[1]}` };
  const body = Buffer.from(bytes.buffer, bytes.byteOffset + 2, bytes.byteLength - 2);
  let record: Record<string, unknown>;
  try {
    record = reader.type.fromBuffer(body, reader.resolver) as Record<string, unknown>;
  } catch (error) {
    return { ok: false, error: `Avro record of schema ${bytes[1]} does not decode: ${error instanceof Error ? error.message : String(error)}` };
  }
  // Avro has no "absent": optional fields come back null, and the records' types say undefined.
  if (reader.kind === "enriched_event") absentEventFields(record);
  else if (reader.kind === "firing") {
    if (record.event_ts === null) record.event_ts = undefined;
    if (record.event === null) record.event = undefined;
    else absentEventFields(record.event as Record<string, unknown>);
  }
  return { ok: true, kind: reader.kind, record };
}

function absentEventFields(event: Record<string, unknown>): void {
  if (event.violations === null) event.violations = undefined;
  if (event.backfill === null) event.backfill = undefined;
}

/** A record as a bus carries it: JSON as `value`, Avro as `bytes` (with an empty `value`). */
export function encodeValue<K extends WireRecordKind>(format: RecordFormat, kind: K, record: KindRecord[K]): { value: string; bytes?: Buffer } {
  return format === "avro" ? { value: "", bytes: encodeAvro(kind, record) } : { value: JSON.stringify(record) };
}
