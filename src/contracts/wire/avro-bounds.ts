/**
 * Bounded Avro reads. avsc reads an array's or map's block count and loops that many times before it
 * looks at the buffer's end (its tap reports an overrun only after the whole read), so a forged
 * count of 2^31 in a 21-byte record took the process to an out-of-memory abort, and a negative block
 * size made a skip loop forever. The wire schemas' arrays and maps are built through `typeHook` as
 * subclasses whose reads refuse a count above the bytes left; writing is avsc's own, byte for byte.
 */
import avro, { type Type } from "avsc";

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
 * A block's item count, refused when it cannot fit in the bytes left: every array item and map entry
 * takes at least one byte (assertBounded checks array items; a map entry has its key).
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

export type TypeOptions = NonNullable<Parameters<typeof avro.Type.forSchema>[1]>;

/** Builds every array and map of the wire schemas as its bounded type (the same encoding: only reads differ). */
export const typeHook: TypeOptions["typeHook"] = (schema, opts) => {
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
export function assertBounded(type: Type, seen = new Set<Type>()): void {
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
