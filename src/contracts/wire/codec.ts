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

/** The part of avsc's Tap the bounded readers use (avsc's typings leave Tap, _read and _skip out). */
interface Tap {
  buf: Buffer;
  pos: number;
  readLong(): number;
  skipString(): void;
}
interface TapReader {
  _read(tap: Tap): unknown;
  _skip(tap: Tap): void;
}

/**
 * A block's item count, refused when it cannot fit in the bytes left. avsc reads a count and loops
 * that many times without looking at the buffer's end (the tap reports an overrun only after the whole
 * read), so a forged count of 2^40 in a few bytes would take the heap or the CPU. Every array item and
 * map entry takes at least one byte (assertBounded checks array items; a map entry has its key).
 * `!(n <= left)` also refuses a NaN, which avsc's readLong gives for an endless varint.
 */
function itemCount(tap: Tap, n: number): number {
  if (!(n <= tap.buf.length - tap.pos)) throw new Error(`a block of ${n} items does not fit in the ${Math.max(tap.buf.length - tap.pos, 0)} bytes left`);
  return n;
}
/** Skips a block given by its byte size (a negative count), refusing a size that is negative or too long. */
function skipSizedBlock(tap: Tap): void {
  const size = tap.readLong();
  if (!(size >= 0 && size <= tap.buf.length - tap.pos))
    throw new Error(`a block of ${size} bytes does not fit in the ${Math.max(tap.buf.length - tap.pos, 0)} bytes left`);
  tap.pos += size;
}

// avsc's types are frozen, so the bounded reads are subclasses, made by the typeHook below. A
// resolver of an older version borrows the reader's _read (ArrayType._update), so it is bounded too.
class BoundedArrayType extends avro.types.ArrayType {
  _read(tap: Tap): unknown[] {
    const items = this.itemsType as unknown as TapReader;
    let val: unknown[] | undefined;
    let i = 0;
    for (let n = tap.readLong(); n; n = tap.readLong()) {
      if (n < 0) {
        n = -n;
        tap.readLong(); // the block's size in bytes
      }
      itemCount(tap, n);
      val ??= new Array<unknown>(n); // as avsc: sizing the array on the first block is faster
      while (n--) val[i++] = items._read(tap);
    }
    return val ?? [];
  }
  _skip(tap: Tap): void {
    const items = this.itemsType as unknown as TapReader;
    for (let n = tap.readLong(); n; n = tap.readLong()) {
      if (n < 0) skipSizedBlock(tap);
      else for (itemCount(tap, n); n--;) items._skip(tap);
    }
  }
}

class BoundedMapType extends avro.types.MapType {
  _read(tap: Tap): Record<string, unknown> {
    const values = this.valuesType as TapReader;
    const val: Record<string, unknown> = {};
    for (let n = tap.readLong(); n; n = tap.readLong()) {
      if (n < 0) {
        n = -n;
        tap.readLong(); // the block's size in bytes
      }
      for (itemCount(tap, n); n--;) {
        const key = (tap as Tap & { readString(): string }).readString();
        val[key] = values._read(tap);
      }
    }
    return val;
  }
  _skip(tap: Tap): void {
    const values = this.valuesType as TapReader;
    for (let n = tap.readLong(); n; n = tap.readLong()) {
      if (n < 0) skipSizedBlock(tap);
      else
        for (itemCount(tap, n); n--;) {
          tap.skipString();
          values._skip(tap);
        }
    }
  }
}

type TypeOptions = NonNullable<Parameters<typeof avro.Type.forSchema>[1]>;

/** Builds every array and map of the wire schemas as its bounded type (the same encoding: only reads differ). */
const typeHook: TypeOptions["typeHook"] = (schema, opts) => {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return undefined;
  const { type, logicalType } = schema as { type?: unknown; logicalType?: unknown };
  if (typeof logicalType === "string" && opts.logicalTypes?.[logicalType]) return undefined; // avsc builds the logical type (assertBounded checks what it holds)
  if (type === "array") return new BoundedArrayType(schema, opts);
  if (type === "map") return new BoundedMapType(schema, opts);
  return undefined;
};

/** The fewest bytes a value of `type` takes (0 for null, an empty record, a fixed of size 0). */
function minBytes(type: Type, seen: Set<Type>): number {
  const name = type.typeName;
  if (name === "null") return 0;
  if (name === "float") return 4;
  if (name === "double") return 8;
  if (name === "fixed") return (type as avro.types.FixedType).size;
  if (name.startsWith("logical:")) return minBytes((type as avro.types.LogicalType).underlyingType, seen);
  if (name === "record" || name === "error") {
    if (seen.has(type)) return 0; // a record that always contains itself has no finite value anyway
    seen.add(type);
    const total = (type as avro.types.RecordType).fields.reduce((sum, field) => sum + minBytes(field.type, seen), 0);
    seen.delete(type);
    return total;
  }
  return 1; // boolean, int, long, string, bytes, enum, union (its index), array and map (their end)
}

/**
 * Refuses, when a schema is first built, what would defeat itemCount's bound: an array or map built
 * by avsc's own unbounded type (the typeHook skips logical types), or array items that take no bytes.
 */
function assertBounded(type: Type, seen = new Set<Type>()): void {
  if (seen.has(type)) return;
  seen.add(type);
  const children = (): Type[] => {
    switch (type.typeName) {
      case "array":
        return [(type as avro.types.ArrayType).itemsType];
      case "map":
        return [(type as avro.types.MapType).valuesType as Type];
      case "record":
      case "error":
        return (type as avro.types.RecordType).fields.map((field) => field.type);
      case "union:unwrapped":
      case "union:wrapped":
        return (type as avro.types.UnwrappedUnionType).types;
      default:
        return type.typeName.startsWith("logical:") ? [(type as avro.types.LogicalType).underlyingType] : [];
    }
  };
  if (type.typeName === "array" || type.typeName === "map") {
    if (!(type instanceof BoundedArrayType || type instanceof BoundedMapType))
      throw new Error(`wire ${type.typeName} is not bounded: ${JSON.stringify(type.schema())}`);
    if (type instanceof BoundedArrayType && minBytes(type.itemsType, new Set()) < 1)
      throw new Error(`wire array items may take no bytes, so their count cannot be bounded: ${JSON.stringify(type.schema())}`);
  }
  for (const child of children()) assertBounded(child, seen);
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
