import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeRecord, kafkajsEncodeRecord, type RecordInput } from "./kafkajs-records";
import "./kafka-bus";

const require = createRequire(import.meta.url);

const bytes = fc.oneof(
  fc.constant(null),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.uint8Array({ maxLength: 300 }).map((array) => Buffer.from(array)),
  fc.string({ minLength: 100, maxLength: 3000 }),
);
const headerValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.uint8Array({ maxLength: 20 }).map((array) => Buffer.from(array)),
);
const headerName = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("__proto__", "constructor", "trace-id", "prism-source"));
const recordInput: fc.Arbitrary<RecordInput> = fc.record({
  offsetDelta: fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
  timestampDelta: fc.oneof(fc.integer({ min: -5000, max: 5000 }), fc.maxSafeInteger(), fc.integer({ min: -(2 ** 40), max: 2 ** 40 })),
  key: bytes,
  value: bytes,
  headers: fc.dictionary(headerName, fc.oneof(headerValue, fc.array(headerValue, { maxLength: 3 })), { maxKeys: 4 }),
});
describe("kafkajs record encoding", () => {
  it("encodes every record to the same bytes as kafkajs", () => {
    fc.assert(
      fc.property(recordInput, (input) => {
        expect(encodeRecord(input).buffer.equals(kafkajsEncodeRecord(input).buffer)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("is what kafkajs's producer uses", () => {
    expect(require("kafkajs/src/protocol/recordBatch/record/v0/index.js")).toBe(encodeRecord);
  });
});
