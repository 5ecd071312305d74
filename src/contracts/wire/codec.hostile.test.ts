/**
 * Forged Avro records: a reader of the internal topics must refuse them quickly and in bounded memory.
 * avsc loops over an array's or map's block count before looking at the buffer's end, so a count of
 * 2^31 in a few bytes used to take the process to an out-of-memory abort.
 */
import avro, { type Schema } from "avsc";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ProfileChange } from "~/core/pipeline";
import type { PersonMerge } from "~/core/identity";
import type { ActionResultRecord, FiringRecord } from "../records";
import { decodeAvro, decodeAvroText, encodeAvro, WIRE_MAGIC, wireType } from "./codec";
import { enrichedEvent, jsonObject, text, time } from "./arbitraries";
import { CURRENT_SCHEMA_ID, FIRING_V1, WIRE_SCHEMAS, type WireRecordKind } from "./schemas";

/** An Avro long (zigzag varint), for any size: the counts a forger writes need not be safe integers. */
function varint(value: bigint): Buffer {
  let zigzag = value >= 0n ? value << 1n : (-value << 1n) - 1n;
  const bytes: number[] = [];
  do {
    const low = Number(zigzag & 0x7fn);
    zigzag >>= 7n;
    bytes.push(zigzag ? low | 0x80 : low);
  } while (zigzag);
  return Buffer.from(bytes);
}

// Generous: a refused record takes well under a millisecond; the hazard took seconds to minutes.
const MAX_MS = 250;
const MAX_HEAP_GROWTH = 8 * 1024 * 1024;

/** Decodes both ways, and how long and how much heap the worse of the two took. */
function decodeBoth(bytes: Buffer) {
  const heapBefore = process.memoryUsage().heapUsed;
  const start = performance.now();
  const parsed = decodeAvro(bytes);
  const text = decodeAvroText(bytes);
  const ms = performance.now() - start;
  return { parsed, text, ms, heapGrowth: process.memoryUsage().heapUsed - heapBefore };
}

function expectRefusedQuickly(bytes: Buffer): void {
  const { parsed, text, ms, heapGrowth } = decodeBoth(bytes);
  expect(parsed).toMatchObject({ ok: false, error: expect.stringContaining("does not decode") });
  expect(text).toMatchObject({ ok: false, error: expect.stringContaining("does not decode") });
  expect(ms).toBeLessThan(MAX_MS);
  expect(heapGrowth).toBeLessThan(MAX_HEAP_GROWTH);
}

const ids = Object.keys(WIRE_SCHEMAS).map(Number);
const recordFields = (id: number) => (WIRE_SCHEMAS[id]!.schema as { fields: { name: string; type: unknown }[] }).fields;
/** A plain avsc type of a wire schema whose `json` fields are the strings they travel as. */
const plainType = (schema: object | Schema) => avro.Type.forSchema(schema as Schema);

/** The body of a record of schema `id` up to (not including) field `index`: a valid prefix. */
function prefixBefore(id: number, index: number, value: Record<string, unknown>): Buffer {
  const { name, namespace } = WIRE_SCHEMAS[id]!.schema as { name: string; namespace: string };
  const fields = recordFields(id).slice(0, index);
  return plainType({ type: "record", name, namespace, fields }).toBuffer(value);
}

/** A valid record of every wire schema, as its writer's plain type sees it. */
const sampleOf = (id: number) => plainType(WIRE_SCHEMAS[id]!.schema).random() as unknown as Record<string, unknown>;
const framed = (id: number, body: Buffer) => Buffer.concat([Buffer.from([WIRE_MAGIC, id]), body]);

/** Tails that forge an array's or map's block count where its first count belongs. */
const HOSTILE_COUNTS: [string, Buffer][] = [
  ["a count of 2^40 and nothing after", varint(2n ** 40n)],
  ["a count of 2^31 − 1 (an array avsc can size, then fill item by item)", varint(2n ** 31n - 1n)],
  ["a count of 2^32 − 1 with a few bytes after", Buffer.concat([varint(2n ** 32n - 1n), Buffer.from("abcdef")])],
  ["a count of 10^7 and nothing after", varint(10_000_000n)],
  ["a count of 2^62", varint(2n ** 62n)],
  ["a negative count of −2^40 with its byte size", Buffer.concat([varint(-(2n ** 40n)), varint(5n)])],
  ["a negative count of −2^31 with a negative byte size", Buffer.concat([varint(-(2n ** 31n)), varint(-100n)])],
  ["one item, then a second block of 2^40", Buffer.concat([varint(1n), varint(1n), Buffer.from("a"), varint(2n ** 40n)])],
  ["one item, then a second block of 2^31 − 1", Buffer.concat([varint(1n), varint(1n), Buffer.from("a"), varint(2n ** 31n - 1n)])],
  ["a count of 50 with ten bytes left", Buffer.concat([varint(50n), Buffer.alloc(10, 0)])],
  ["an endless varint", Buffer.alloc(300, 0xff)],
];

describe("the wire codec, given forged records", () => {
  it("has at least one array among its schemas, and every array and map item takes at least a byte", () => {
    // The bound (a count is at most the bytes left) rests on this; wireType refuses schemas without it.
    expect(recordFields(CURRENT_SCHEMA_ID.profile_change).some((field) => JSON.stringify(field.type).includes('"array"'))).toBe(true);
    for (const id of ids) expect(() => wireType(WIRE_SCHEMAS[id]!.schema, "parsed")).not.toThrow();
    expect(() => wireType({ type: "array", items: "null" }, "parsed")).toThrow(/take no bytes/);
    expect(() => wireType({ type: "array", items: { type: "record", name: "Empty", fields: [] } }, "parsed")).toThrow(/take no bytes/);
  });

  for (const id of ids) {
    const fields = recordFields(id);
    const arrays = fields.map((field, index) => ({ field, index })).filter(({ field }) => /"(array|map)"/.test(JSON.stringify(field.type)));
    for (const { field, index } of arrays) {
      for (const [label, tail] of HOSTILE_COUNTS) {
        it(`refuses schema ${id}'s \`${field.name}\` with ${label}`, () => {
          const body = Buffer.concat([prefixBefore(id, index, sampleOf(id)), tail]);
          expectRefusedQuickly(framed(id, body));
        });
      }
    }
  }

  it("refuses every truncation of a record of every schema, and a huge count spliced in at any byte", () => {
    for (const id of ids) {
      const body = plainType(WIRE_SCHEMAS[id]!.schema).toBuffer(sampleOf(id));
      for (let end = 0; end < body.length; end++) expectRefusedQuickly(framed(id, body.subarray(0, end)));
      for (let at = 0; at < body.length; at++) {
        for (const count of [2n ** 31n - 1n, 2n ** 40n, -(2n ** 40n)]) {
          // Ends with a long field: a long spliced there is a valid value, so only speed and memory are asserted.
          const { ms, heapGrowth } = decodeBoth(framed(id, Buffer.concat([body.subarray(0, at), varint(count)])));
          expect(ms).toBeLessThan(MAX_MS);
          expect(heapGrowth).toBeLessThan(MAX_HEAP_GROWTH);
        }
      }
    }
  });

  it("never throws, hangs or grows the heap on arbitrary bytes after a valid header", () => {
    const mutation = fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((bytes) => (_body: Buffer) => Buffer.from(bytes)),
      fc.nat().map((end) => (body: Buffer) => body.subarray(0, end % (body.length + 1))),
      fc.tuple(fc.nat(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n }), fc.uint8Array({ maxLength: 8 })).map(
        ([at, count, after]) =>
          (body: Buffer) =>
            Buffer.concat([body.subarray(0, at % (body.length + 1)), varint(count), Buffer.from(after)]),
      ),
      fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([at, byte]) => (body: Buffer) => {
        const copy = Buffer.from(body);
        if (copy.length) copy[at % copy.length] = byte;
        return copy;
      }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...ids), mutation, (id, mutate) => {
        const bytes = framed(id, mutate(plainType(WIRE_SCHEMAS[id]!.schema).toBuffer(sampleOf(id))));
        const { parsed, text, ms, heapGrowth } = decodeBoth(bytes);
        expect(typeof parsed.ok).toBe("boolean");
        expect(typeof text.ok).toBe("boolean");
        expect(ms).toBeLessThan(MAX_MS);
        expect(heapGrowth).toBeLessThan(MAX_HEAP_GROWTH);
      }),
      { numRuns: 2000 },
    );
  });

  it("refuses forged counts in maps and in fields an older reader skips (shapes the wire schemas lack yet)", () => {
    // A writer with an array and a map the reader does not have: the resolver skips them (avsc's _skip).
    const writer = wireType(
      {
        type: "record",
        name: "W",
        fields: [
          { name: "tags", type: { type: "array", items: "string" } },
          { name: "counts", type: { type: "map", values: "long" } },
          { name: "id", type: "string" },
        ],
      },
      "parsed",
    );
    const reader = wireType({ type: "record", name: "W", fields: [{ name: "id", type: "string" }] }, "parsed");
    const both = wireType(
      {
        type: "record",
        name: "W",
        fields: [
          { name: "tags", type: { type: "array", items: "string" } },
          { name: "counts", type: { type: "map", values: "long" } },
        ],
      },
      "parsed",
    );
    const resolver = reader.createResolver(writer);
    const valid = writer.toBuffer({ tags: ["a", "bc"], counts: { x: 1, y: 2 }, id: "r1" });
    expect(reader.fromBuffer(valid, resolver)).toEqual({ id: "r1" });
    // The bytes are avsc's own: the bounded types read and write exactly what a plain type does.
    expect(valid).toEqual(
      plainType({ type: "record", name: "W", fields: (writer.schema() as { fields: unknown[] }).fields }).toBuffer({
        tags: ["a", "bc"],
        counts: { x: 1, y: 2 },
        id: "r1",
      }),
    );
    const blockedMap = Buffer.concat([
      varint(0n),
      varint(-2n),
      varint(6n),
      varint(1n),
      Buffer.from("x"),
      varint(1n),
      varint(1n),
      Buffer.from("y"),
      varint(2n),
      varint(0n),
    ]);
    expect(both.fromBuffer(blockedMap)).toEqual({ tags: [], counts: { x: 1, y: 2 } });
    expect(reader.fromBuffer(Buffer.concat([blockedMap, varint(2n), Buffer.from("r2")]), resolver)).toEqual({ id: "r2" });

    const forged: Buffer[] = [
      Buffer.concat([varint(2n ** 40n)]), // tags
      Buffer.concat([varint(2n ** 31n - 1n), Buffer.from("ab")]),
      Buffer.concat([varint(-1n), varint(-64n), Buffer.alloc(64, 1)]), // a negative block size used to move the tap backwards, forever
      Buffer.concat([varint(-1n), varint(2n ** 40n)]),
      Buffer.concat([varint(0n), varint(2n ** 40n)]), // counts
      Buffer.concat([varint(0n), varint(-(2n ** 31n)), varint(3n), Buffer.from("abc")]),
      Buffer.concat([varint(0n), varint(-1n), varint(-3n), Buffer.alloc(8, 2)]),
    ];
    for (const body of forged) {
      const start = performance.now();
      expect(() => reader.fromBuffer(body, resolver)).toThrow();
      expect(() => both.fromBuffer(body)).toThrow();
      expect(performance.now() - start).toBeLessThan(MAX_MS);
    }
  });
});

const nullable = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
const profileChange: fc.Arbitrary<ProfileChange> = fc.record({
  type: fc.constant("profile" as const),
  project_id: text,
  profile_id: text,
  change_id: text,
  changed_at: time,
  set: jsonObject,
  set_once: jsonObject,
  unset: fc.array(fc.string({ maxLength: 12, unit: "binary" }), { maxLength: 6 }),
  props: jsonObject,
  created_at: time,
  updated_at: time,
});
const personMerge: fc.Arbitrary<PersonMerge> = fc.record({
  type: fc.constant("merge" as const),
  project_id: text,
  distinct_id: text,
  person_id: text,
  change_id: text,
  merged_at: time,
});
const actionResult: fc.Arbitrary<ActionResultRecord> = fc.record({
  kind: fc.constant("action_result" as const),
  project_id: text,
  firing_id: text,
  action_index: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  action_type: fc.string(),
  status: fc.constantFrom("succeeded", "failed", "queued", "skipped"),
  detail: fc.string(),
  at: time,
});
const firing = fc.record({
  kind: fc.constant("firing" as const),
  firing_id: text,
  project_id: text,
  trigger_id: text,
  trigger_version: fc.integer({ min: 0, max: 1000 }),
  trigger_name: fc.string(),
  event_id: text,
  event_name: text,
  profile_id: nullable(text),
  fired_at: time,
  event_ts: time,
  result: fc.constantFrom("fired" as const, "error" as const),
  error: nullable(fc.string()),
  actions: fc.constant([{ type: "notification", title: "t", body: "" }]),
  event: fc.option(enrichedEvent, { nil: undefined }),
}) as unknown as fc.Arbitrary<FiringRecord>;

const viaJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
const anyRecord = fc.oneof(
  enrichedEvent.map((record) => ["enriched_event", record] as const),
  profileChange.map((record) => ["profile_change", record] as const),
  personMerge.map((record) => ["person_merge", record] as const),
  actionResult.map((record) => ["action_result", record] as const),
  firing.map((record) => ["firing", record] as const),
) as fc.Arbitrary<readonly [WireRecordKind, never]>;

describe("the wire codec, given valid records", () => {
  it("still reads back every record of every kind it writes, both ways", () => {
    fc.assert(
      fc.property(anyRecord, ([kind, record]) => {
        const bytes = encodeAvro(kind, record);
        const parsed = decodeAvro(bytes);
        const asText = decodeAvroText(bytes);
        expect(parsed.ok && parsed.kind).toBe(kind);
        expect(parsed.ok && viaJson(parsed.record)).toEqual(viaJson(record));
        expect(asText.ok && asText.kind).toBe(kind);
        // Plain avsc reads the same bytes: the wire format is unchanged.
        const plain = plainType(WIRE_SCHEMAS[CURRENT_SCHEMA_ID[kind]]!.schema);
        expect(plain.toBuffer(plain.fromBuffer(bytes.subarray(2)))).toEqual(bytes.subarray(2));
      }),
      { numRuns: 300 },
    );
  });

  it("still reads a firing written with the older schema version", () => {
    fc.assert(
      fc.property(firing, (record) => {
        const { event_ts: _absent, ...v1 } = record;
        const written = plainType(FIRING_V1).toBuffer({ ...v1, actions: JSON.stringify(v1.actions), event: null });
        const v1Id = ids.find((id) => WIRE_SCHEMAS[id]!.schema === FIRING_V1)!;
        const decoded = decodeAvro(framed(v1Id, written));
        expect(decoded.ok && viaJson(decoded.record)).toEqual(viaJson({ ...v1, event: undefined }));
      }),
      { numRuns: 100 },
    );
  });
});
