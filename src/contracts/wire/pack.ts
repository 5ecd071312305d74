/**
 * Packs: many Avro records of an internal topic in one Kafka message.
 *
 * kafkajs spends about 16 µs of the producer's CPU on each record it encodes and several more on
 * each one a consumer decodes, and the broker validates every record of a batch; the processor
 * writes one enriched record per event, so those per-record costs were most of the Kafka cost of
 * an event. The Kafka bus therefore puts the Avro records one produce sends to the same partition
 * of `event.enriched` or `event.triggered` into packs, and its consumers unpack them: every stage
 * still sees one bus message per record, with its own key and headers.
 *
 *   0x00, PACK_SCHEMA_ID            framed like a record of ./codec.ts, so no reader takes it for JSON
 *   count                           then per record:
 *   key length + 1 (0: no key), key, header count, (name length, name, value length, value)…,
 *   value length, value             lengths and counts as unsigned LEB128 varints, text as UTF-8
 *
 * A pack is one Kafka message: it is produced, committed and redelivered whole, so the delivery
 * guarantees per record are the partition's. Records inside keep their order.
 */
import { WIRE_MAGIC } from "./codec";

/** The id a pack carries in its second byte; never used by a record schema (pack.test.ts). */
export const PACK_SCHEMA_ID = 0xff;

export interface PackedRecord {
  key: string | null;
  headers: Record<string, string>;
  value: Uint8Array;
}

/** Whether a message's value is a pack rather than a single record. */
export function isPack(value: Uint8Array | null | undefined): value is Uint8Array {
  return value !== null && value !== undefined && value.length >= 2 && value[0] === WIRE_MAGIC && value[1] === PACK_SCHEMA_ID;
}

/**
 * `recordsSize` is the sum of packedSize over the records, when the caller has it already (a producer
 * sizes its packs as it fills them); otherwise it is computed here.
 */
export function encodePack(records: readonly PackedRecord[], recordsSize = records.reduce((sum, record) => sum + packedSize(record), 0)): Buffer {
  // Sized first, then written into one buffer: no allocation per record (this runs once per event).
  const size = 2 + varintLength(records.length) + recordsSize;
  const buffer = Buffer.allocUnsafe(size);
  buffer[0] = WIRE_MAGIC;
  buffer[1] = PACK_SCHEMA_ID;
  let at = writeVarint(buffer, 2, records.length);
  const writeText = (text: string) => {
    at = writeVarint(buffer, at, Buffer.byteLength(text));
    at += buffer.write(text, at, "utf8");
  };
  for (const { key, headers, value } of records) {
    if (key === null) at = writeVarint(buffer, at, 0);
    else {
      at = writeVarint(buffer, at, Buffer.byteLength(key) + 1);
      at += buffer.write(key, at, "utf8");
    }
    const names = Object.keys(headers);
    at = writeVarint(buffer, at, names.length);
    for (const name of names) {
      writeText(name);
      writeText(headers[name]!);
    }
    at = writeVarint(buffer, at, value.byteLength);
    buffer.set(value, at);
    at += value.byteLength;
  }
  // A recordsSize that was not the records' would leave stale bytes in the pack (or throw above).
  if (at !== size) throw new RangeError(`pack sized ${size} bytes, written ${at}`);
  return buffer;
}

/**
 * The records of a pack, or an error for bytes that are not one (the caller dead-letters them
 * whole). Every length is checked against the bytes left, so hostile bytes cost their own size.
 */
export function decodePack(bytes: Uint8Array): { ok: true; records: PackedRecord[] } | { ok: false; error: string } {
  if (!isPack(bytes)) return { ok: false, error: "not a pack" };
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 2;
  const varint = (): number => {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (at >= buffer.length) throw new RangeError("ends inside a length");
      const byte = buffer[at++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    throw new RangeError("a length is too long");
  };
  const take = (length: number): Buffer => {
    if (length > buffer.length - at) throw new RangeError("a length runs past the end");
    at += length;
    return buffer.subarray(at - length, at);
  };
  const text = (length: number): string => {
    if (length > buffer.length - at) throw new RangeError("a length runs past the end");
    at += length;
    return buffer.toString("utf8", at - length, at);
  };
  try {
    const count = varint();
    // Every record takes at least three bytes, so a count the bytes cannot hold is refused before any work.
    if (count > (buffer.length - at) / 3) throw new RangeError("more records than bytes");
    const records: PackedRecord[] = new Array<PackedRecord>(count);
    for (let i = 0; i < count; i++) {
      const keyLength = varint();
      const key = keyLength === 0 ? null : text(keyLength - 1);
      const headerCount = varint();
      if (headerCount > (buffer.length - at) / 2) throw new RangeError("more headers than bytes");
      const headers: Record<string, string> = {};
      for (let h = 0; h < headerCount; h++) {
        const name = text(varint());
        // defineProperty: a header named __proto__ is an own entry like any other, never a prototype.
        Object.defineProperty(headers, name, { value: text(varint()), enumerable: true, writable: true, configurable: true });
      }
      records[i] = { key, headers, value: take(varint()) };
    }
    if (at !== buffer.length) throw new RangeError(`${buffer.length - at} bytes after the last record`);
    return { ok: true, records };
  } catch (error) {
    return { ok: false, error: `pack does not decode: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** The bytes a record takes inside a pack: what encodePack writes for it, and what a producer sizes packs by. */
export function packedSize({ key, headers, value }: PackedRecord): number {
  const keyBytes = key === null ? 0 : Buffer.byteLength(key);
  let size = varintLength(key === null ? 0 : keyBytes + 1) + keyBytes;
  const names = Object.keys(headers);
  for (const name of names) {
    const nameBytes = Buffer.byteLength(name);
    const valueBytes = Buffer.byteLength(headers[name]!);
    size += varintLength(nameBytes) + nameBytes + varintLength(valueBytes) + valueBytes;
  }
  return size + varintLength(names.length) + varintLength(value.byteLength) + value.byteLength;
}

function varintLength(value: number): number {
  let length = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) length++;
  return length;
}

function writeVarint(buffer: Buffer, at: number, value: number): number {
  let rest = value;
  while (rest >= 0x80) {
    buffer[at++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  buffer[at++] = rest;
  return at;
}
