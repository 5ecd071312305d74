import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeAvro, encodeAvro, isAvroRecord } from "./codec";
import { decodePack, encodePack, isPack, PACK_SCHEMA_ID, packedSize, type PackedRecord } from "./pack";
import { WIRE_SCHEMAS } from "./schemas";

const text = fc.string({ maxLength: 30, unit: "binary" });
const packedRecord: fc.Arbitrary<PackedRecord> = fc.record({
  key: fc.option(text, { nil: null }),
  headers: fc.dictionary(fc.oneof(text, fc.constant("__proto__")), text, { maxKeys: 3 }),
  value: fc.uint8Array({ maxLength: 200 }),
});

describe("packs of internal records", () => {
  it("give back every record, in order, with its key, headers and exact bytes", () => {
    fc.assert(
      fc.property(fc.array(packedRecord, { maxLength: 40 }), (records) => {
        const pack = encodePack(records);
        expect(isPack(pack)).toBe(true);
        const decoded = decodePack(pack);
        expect(decoded.ok).toBe(true);
        if (!decoded.ok) return;
        expect(decoded.records.map((record) => ({ ...record, headers: { ...record.headers }, value: [...record.value] }))).toEqual(
          records.map((record) => ({ key: record.key, headers: { ...record.headers }, value: [...record.value] })),
        );
      }),
    );
  });

  it("are exactly the size a producer plans for them", () => {
    fc.assert(
      fc.property(fc.array(packedRecord, { minLength: 1, maxLength: 200 }), (records) => {
        const planned = records.reduce((sum, record) => sum + packedSize(record), 0);
        // The header: magic byte, pack id, and the record count as a varint (two bytes above 127).
        expect(encodePack(records).byteLength).toBe(planned + 2 + (records.length > 127 ? 2 : 1));
        expect(encodePack(records, planned).equals(encodePack(records))).toBe(true);
      }),
    );
  });

  it("carry Avro records that still decode, and are told apart from a single record", () => {
    const record = encodeAvro("action_result", {
      kind: "action_result",
      project_id: "p1",
      firing_id: "f1",
      action_index: 0,
      action_type: "webhook",
      status: "succeeded",
      detail: "delivered",
      at: 1,
    });
    expect(isPack(record)).toBe(false);
    const pack = encodePack([{ key: "f1", headers: {}, value: record }]);
    expect(isAvroRecord(pack)).toBe(true); // framed like a record: JSON readers never mistake it for text
    const decoded = decodePack(pack);
    expect(decoded.ok && decodeAvro(decoded.records[0]!.value)).toMatchObject({ ok: true, kind: "action_result", record: { firing_id: "f1" } });
  });

  it("keep a header named __proto__ as an own entry", () => {
    const headers = JSON.parse('{"__proto__":"x","a":"b"}') as Record<string, string>;
    const decoded = decodePack(encodePack([{ key: "k", headers, value: Uint8Array.from([1]) }]));
    expect(decoded.ok && Object.entries(decoded.records[0]!.headers)).toEqual([
      ["__proto__", "x"],
      ["a", "b"],
    ]);
    expect(decoded.ok && Object.getPrototypeOf(decoded.records[0]!.headers)).toBe(Object.prototype);
  });

  it("use an id no record schema has", () => {
    expect(Object.keys(WIRE_SCHEMAS).map(Number)).not.toContain(PACK_SCHEMA_ID);
  });

  it("refuse bytes that are not a pack, without throwing", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 50 }), (bytes) => {
        const decoded = decodePack(Uint8Array.from([0, PACK_SCHEMA_ID, ...bytes]));
        if (decoded.ok) expect(Array.isArray(decoded.records)).toBe(true);
        else expect(decoded.error).toMatch(/pack does not decode/);
      }),
    );
    expect(decodePack(Uint8Array.from([0, 1, 2]))).toEqual({ ok: false, error: "not a pack" });
    expect(decodePack(Uint8Array.from([0, PACK_SCHEMA_ID, 0x7f]))).toMatchObject({ ok: false });
  });
});
