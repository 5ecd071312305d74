/**
 * kafkajs 2.2.4 encodes each record through several growing Encoder buffers (one per header too)
 * and 64-bit Long arithmetic for the varints: about 9 µs per 500-byte record here, paid for every
 * output of the processor. This replaces that one function with one that produces the same bytes
 * (checked against the original in kafkajs-records.test.ts), sizing the record once and writing it
 * into one buffer with plain-number varints: about 2.7 µs. Imported for its side effect, ahead of
 * "kafkajs" (see kafka-bus.ts), like kafkajs-grouping.ts. (Decoding was measured too: kafkajs's is
 * already as fast as a rewrite, so it is left alone.)
 */
import { createRequire } from "node:module";

type Bytes = Buffer | string | null | undefined;
type HeaderValue = Buffer | string | null;

export interface RecordInput {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: Bytes;
  value?: Bytes;
  headers?: Record<string, HeaderValue | HeaderValue[] | undefined>;
}

interface EncoderLike {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
}

const require = createRequire(import.meta.url);
const recordPath = require.resolve("kafkajs/src/protocol/recordBatch/record/v0/index.js");
const Encoder = require("kafkajs/src/protocol/encoder.js") as { prototype: object };

/** kafkajs's own function, kept for the equivalence test and for values outside the fast path. */
export const kafkajsEncodeRecord = require(recordPath) as (input: RecordInput) => EncoderLike;

/** Zig-zag of a safe integer, in plain arithmetic (bit operators would cut it to 32 bits). */
const zigZag = (value: number) => (value >= 0 ? value * 2 : -value * 2 - 1);

function sizeOfUnsignedVarInt(value: number): number {
  let bytes = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    bytes++;
  }
  return bytes;
}

function writeUnsignedVarInt(buf: Buffer, at: number, value: number): number {
  while (value >= 128) {
    buf[at++] = (value % 128) | 128;
    value = Math.floor(value / 128);
  }
  buf[at++] = value;
  return at;
}

/** Writes a length-prefixed (zig-zag varint) byte string; null is length -1. */
function writeBytes(buf: Buffer, at: number, value: Bytes, length: number): number {
  if (value === null || value === undefined) return writeUnsignedVarInt(buf, at, 1);
  at = writeUnsignedVarInt(buf, at, zigZag(length));
  if (typeof value === "string") buf.write(value, at, length, "utf8");
  else value.copy(buf, at);
  return at + length;
}

const byteLength = (value: Bytes) => (value === null || value === undefined ? -1 : typeof value === "string" ? Buffer.byteLength(value) : value.length);
const sizeOfBytes = (length: number) => (length < 0 ? 1 : sizeOfUnsignedVarInt(zigZag(length)) + length);

export function encodeRecord({ offsetDelta = 0, timestampDelta = 0, key, value, headers = {} }: RecordInput): EncoderLike {
  // Zig-zag doubles a value, so the fast path takes those whose double is still exact.
  if (!Number.isInteger(timestampDelta) || !Number.isInteger(offsetDelta) || Math.abs(timestampDelta) > 2 ** 50 || Math.abs(offsetDelta) > 2 ** 50) {
    return kafkajsEncodeRecord({ offsetDelta, timestampDelta, key, value, headers });
  }
  const headerList: Array<[string, HeaderValue]> = [];
  for (const name of Object.keys(headers)) {
    const entry = headers[name];
    if (Array.isArray(entry)) for (const item of entry) headerList.push([name, item]);
    else headerList.push([name, entry as HeaderValue]);
  }
  const keyLength = byteLength(key);
  const valueLength = byteLength(value);
  const headerLengths = headerList.map(([name, item]) => [Buffer.byteLength(name), byteLength(item)] as const);
  let bodySize =
    1 + sizeOfUnsignedVarInt(zigZag(timestampDelta)) + sizeOfUnsignedVarInt(zigZag(offsetDelta)) + sizeOfBytes(keyLength) + sizeOfBytes(valueLength);
  bodySize += sizeOfUnsignedVarInt(zigZag(headerList.length));
  for (const [nameLength, itemLength] of headerLengths) bodySize += sizeOfBytes(nameLength) + sizeOfBytes(itemLength);

  const total = sizeOfUnsignedVarInt(zigZag(bodySize)) + bodySize;
  const buf = Buffer.allocUnsafe(total);
  let at = writeUnsignedVarInt(buf, 0, zigZag(bodySize));
  buf[at++] = 0; // record attributes: unused
  at = writeUnsignedVarInt(buf, at, zigZag(timestampDelta));
  at = writeUnsignedVarInt(buf, at, zigZag(offsetDelta));
  at = writeBytes(buf, at, key, keyLength);
  at = writeBytes(buf, at, value, valueLength);
  at = writeUnsignedVarInt(buf, at, zigZag(headerList.length));
  headerList.forEach(([name, item], i) => {
    const [nameLength, itemLength] = headerLengths[i]!;
    at = writeBytes(buf, at, name, nameLength);
    at = writeBytes(buf, at, item, itemLength);
  });
  if (at !== total) throw new Error(`record encoder wrote ${at} of ${total} bytes`);

  // kafkajs copies records into the batch through `.buf` and `.buffer`, as from its Encoder.
  const encoder = Object.create(Encoder.prototype) as EncoderLike;
  encoder.buf = buf;
  encoder.offset = total;
  return encoder;
}

const encoderModule = require.cache[recordPath];
if (encoderModule) encoderModule.exports = encodeRecord;
