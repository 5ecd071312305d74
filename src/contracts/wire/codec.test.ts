import avro, { type Schema } from "avsc";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { JsonObject } from "~/core/events";
import { enrichedRecordSchema, type EnrichedEvent } from "~/core/pipeline";
import { triggeredRecordSchema, type ActionResultRecord, type FiringRecord } from "../records";
import { decodeAvro, decodeAvroText, encodeAvro, encodeRecord, isAvroRecord, WIRE_MAGIC } from "./codec";
import { enrichedEvent } from "./arbitraries";
import { CURRENT_SCHEMA_ID, FIRING_V1, WIRE_SCHEMAS } from "./schemas";

/** What a record is after a trip through JSON text: the reference the Avro trip must equal. */
const viaJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

const event: EnrichedEvent = {
  type: "event",
  event_id: "e1",
  project_id: "proj_a",
  event_name: "purchase",
  cts: 1_700_000_000_000,
  sts: 1_700_000_000_500,
  profile_id: "alice",
  props: { amount: 120.5, items: [{ sku: "a", n: 2 }], gift: false, note: null },
  ctx: { user_agent: "Mozilla/5.0", country: "FR" },
  profile_props: { plan: "pro" },
  browser: "Firefox",
  os: null,
  device_type: "desktop",
};

const firing: FiringRecord = {
  kind: "firing",
  firing_id: "fir_1",
  project_id: "proj_a",
  trigger_id: "t1",
  trigger_version: 3,
  trigger_name: "Big purchase",
  event_id: "e1",
  event_name: "purchase",
  profile_id: "alice",
  fired_at: 1_700_000_000_500,
  event_ts: 1_700_000_000_000,
  result: "fired",
  error: null,
  actions: [{ type: "notification", title: "Big", body: "" }],
  event,
};

describe("the wire codec of the internal topics", () => {
  it("reads back every enriched event it writes, as a trip through JSON would", () => {
    fc.assert(
      fc.property(enrichedEvent, (record) => {
        const decoded = decodeAvro(encodeAvro("enriched_event", record));
        expect(decoded.ok && decoded.kind).toBe("enriched_event");
        expect(decoded.ok && viaJson(decoded.record)).toEqual(viaJson(record));
        // …and the zod schema the JSON path uses accepts it unchanged.
        expect(decoded.ok && enrichedRecordSchema.parse(viaJson(decoded.record))).toEqual(viaJson(record));
      }),
    );
  });

  it("can leave the json fields as their text, which is what stringifying the parsed fields gives back", () => {
    const wild = fc.dictionary(fc.string({ maxLength: 8, unit: "binary" }), fc.jsonValue({ maxDepth: 3, stringUnit: "binary" }), {
      maxKeys: 6,
    }) as fc.Arbitrary<JsonObject>;
    // JSON.parse makes an own `__proto__` key; big and tiny numbers keep JSON.stringify's spelling.
    const tricky = JSON.parse('{"__proto__":{"x":1},"big":12345678901234567890,"tiny":1e-300,"neg":-0,"lone":"\\ud800","2":"integer key"}') as JsonObject;
    fc.assert(
      fc.property(enrichedEvent, wild, fc.boolean(), (record, props, useTricky) => {
        // avsc refuses a long of 2^53 - 1 (which `time` may draw): times are not what this is about.
        const bytes = encodeAvro("enriched_event", { ...record, cts: 0, sts: 1, props: useTricky ? tricky : props, profile_props: props });
        const parsed = decodeAvro(bytes);
        const text = decodeAvroText(bytes);
        if (!parsed.ok || parsed.kind !== "enriched_event" || !text.ok || text.kind !== "enriched_event") throw new Error("does not decode");
        const { props: p, ctx, profile_props, violations, ...rest } = text.record;
        expect([p, ctx, profile_props, violations]).toEqual([
          JSON.stringify(parsed.record.props),
          JSON.stringify(parsed.record.ctx),
          JSON.stringify(parsed.record.profile_props),
          parsed.record.violations === undefined ? undefined : JSON.stringify(parsed.record.violations),
        ]);
        const { props: _props, ctx: _ctx, profile_props: _profileProps, violations: _violations, ...others } = parsed.record;
        expect(rest).toEqual(others);
      }),
    );
    const firingText = decodeAvroText(encodeAvro("firing", firing));
    expect(firingText.ok && firingText.kind === "firing" && firingText.record.actions).toBe(JSON.stringify(firing.actions));
  });

  it("reads back firings, with and without their event, and action results", () => {
    const quiet: FiringRecord = { ...firing, result: "error", error: "no such field", actions: [], event: undefined, profile_id: null };
    const result: ActionResultRecord = {
      kind: "action_result",
      project_id: "proj_a",
      firing_id: "fir_1",
      action_index: 1,
      action_type: "webhook",
      status: "queued",
      detail: "",
      at: 1,
    };
    for (const [kind, record] of [
      ["firing", firing],
      ["firing", quiet],
      ["action_result", result],
    ] as const) {
      const decoded = decodeAvro(encodeAvro(kind, record));
      expect(decoded).toMatchObject({ ok: true, kind });
      expect(decoded.ok && viaJson(decoded.record)).toEqual(viaJson(record));
      expect(decoded.ok && triggeredRecordSchema.parse(viaJson(decoded.record))).toEqual(viaJson(record));
    }
    const decodedQuiet = decodeAvro(encodeAvro("firing", quiet));
    expect(decodedQuiet.ok && decodedQuiet.kind === "firing" && decodedQuiet.record.event).toBeUndefined();
  });

  it("reads a firing written with the previous schema version into the current one", () => {
    // A producer still on v1 (no event_ts) wrote this; a consumer on v2 reads it.
    const { event_ts: _absent, ...v1Firing } = firing;
    const written = avro.Type.forSchema(FIRING_V1 as unknown as Schema, { logicalTypes: { json: JsonAsText } }).toBuffer({
      ...v1Firing,
      actions: JSON.stringify(v1Firing.actions),
      event: null,
    });
    const v1Id = Number(Object.entries(WIRE_SCHEMAS).find(([, schema]) => schema.kind === "firing" && schema.version === 1)![0]);
    expect(v1Id).not.toBe(CURRENT_SCHEMA_ID.firing);
    const decoded = decodeAvro(Buffer.concat([Buffer.from([WIRE_MAGIC, v1Id]), written]));
    expect(decoded).toMatchObject({ ok: true, kind: "firing" });
    const record = decoded.ok && decoded.kind === "firing" ? decoded.record : null;
    expect(record?.event_ts).toBeUndefined();
    expect(record?.event).toBeUndefined();
    expect(viaJson(record)).toEqual(viaJson({ ...v1Firing, event: undefined }));
  });

  it("tells Avro from JSON text by the first byte, so both can share a topic", () => {
    expect(isAvroRecord(Buffer.from(JSON.stringify(firing)))).toBe(false);
    expect(isAvroRecord(encodeAvro("firing", firing))).toBe(true);
    expect(encodeRecord("json", "firing", firing)).toBe(JSON.stringify(firing));
    expect(Buffer.isBuffer(encodeRecord("avro", "firing", firing))).toBe(true);
  });

  it("refuses an unknown schema id, a truncated body and trailing bytes with a reason", () => {
    const bytes = encodeAvro("enriched_event", event);
    expect(decodeAvro(Buffer.from([WIRE_MAGIC, 250, 1, 2]))).toEqual({ ok: false, error: "unknown Avro schema id 250" });
    expect(decodeAvro(bytes.subarray(0, bytes.length - 3))).toMatchObject({ ok: false, error: expect.stringContaining("does not decode") });
    expect(decodeAvro(Buffer.concat([bytes, Buffer.from([7])]))).toMatchObject({ ok: false, error: expect.stringContaining("does not decode") });
  });

  it("is smaller than the JSON text of the same record", () => {
    expect(encodeAvro("firing", firing).length).toBeLessThan(Buffer.byteLength(JSON.stringify(firing)) * 0.8);
  });

  it("never changes a shipped schema: each id keeps its fingerprint (add a version instead)", () => {
    const fingerprints = Object.fromEntries(
      Object.entries(WIRE_SCHEMAS).map(([id, { schema }]) => [
        id,
        avro.Type.forSchema(schema as Schema, { logicalTypes: { json: JsonAsText } })
          .fingerprint("sha256")
          .toString("hex")
          .slice(0, 16),
      ]),
    );
    expect(fingerprints).toEqual(PINNED_FINGERPRINTS);
  });
});

/** A plain `json` logical type for writing by hand as an older producer would. */
class JsonAsText extends avro.types.LogicalType {
  protected override _fromValue(value: string): unknown {
    return value;
  }
  protected override _toValue(value: unknown): unknown {
    return value;
  }
}

const PINNED_FINGERPRINTS: Record<string, string> = {
  "1": "c58f0eb691847eb5",
  "2": "33ee94e593900c2b",
  "3": "cb94383f0fd1d314",
  "4": "18c5656b664415a2",
  "5": "1541c18f283ace7b",
  "6": "86132226a5866f82",
};
