import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { internalEventSchema, profileRecordSchema, type JsonObject } from "../src/core/events";
import { convertEvent, convertProfile, type ConversionContext } from "../src/core/ingest/convert";

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);
const cc: ConversionContext = { projectId: "proj_test", now: NOW, requestCtx: { ip: "203.0.113.9", user_agent: "UA/1.0" } };

const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,30}$/);
const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/);
const safeKey = name;
// Valid payloads carry no prototype keys at any depth and no numbers past 2^53 (both are refused on purpose).
const reservedKey = /"(__proto__|constructor|prototype)":/;
const safeNumbers = (_key: string, value: unknown) => (typeof value === "number" && !Number.isSafeInteger(Math.trunc(value)) ? 1.5 : value);
const props: fc.Arbitrary<JsonObject> = fc
  .dictionary(safeKey, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 8 })
  .map((value) => JSON.parse(JSON.stringify(value, safeNumbers)) as JsonObject)
  .filter((value) => !reservedKey.test(JSON.stringify(value)));
const timestampMs = fc.integer({ min: NOW - 30 * 86_400_000, max: NOW });
const iso = timestampMs.map((ms) => new Date(ms).toISOString());

const internalInput = fc.record(
  { event_name: name, event_id: id, cts: timestampMs, profile_id: id, props, ctx: fc.record({ locale: fc.constantFrom("en-GB", "fr-FR") }) },
  { requiredKeys: ["event_name"] },
);
const trackingInput = fc.record(
  { event_type: name, timestamp: iso, user_id: id, session_id: id, fields: props, ip: fc.ipV4(), user_agent: fc.string({ minLength: 1, maxLength: 40 }) },
  { requiredKeys: ["event_type"] },
);
const segmentTrack = fc.record(
  {
    type: fc.constant("track"),
    event: name,
    userId: id,
    properties: props,
    timestamp: iso,
    messageId: id,
    context: fc.record({ ip: fc.ipV4(), locale: fc.constant("en-US") }),
  },
  { requiredKeys: ["type", "event", "userId"] },
);

describe("format conversion", () => {
  it("turns every valid internal-form input into a valid internal event with the same name, profile and props", () => {
    fc.assert(
      fc.property(internalInput, (input) => {
        const result = convertEvent(input, cc);
        if (!result.ok || result.kind !== "event") throw new Error(JSON.stringify(result));
        expect(internalEventSchema.parse(result.record)).toEqual(result.record);
        expect(result.record).toMatchObject({
          event_name: input.event_name,
          project_id: "proj_test",
          sts: NOW,
          profile_id: input.profile_id ?? null,
          props: input.props ?? {},
        });
        if (input.event_id) expect(result.record.event_id).toBe(input.event_id);
        expect(result.record.cts).toBe(input.cts ?? NOW);
      }),
    );
  });

  it("turns every valid tracking-format input into a valid internal event", () => {
    fc.assert(
      fc.property(trackingInput, (input) => {
        const result = convertEvent(input, cc);
        if (!result.ok || result.kind !== "event") throw new Error(JSON.stringify(result));
        internalEventSchema.parse(result.record);
        expect(result.record.event_name).toBe(input.event_type);
        expect(result.record.profile_id).toBe(input.user_id ?? null);
        expect(result.record.props).toEqual(input.fields ?? {});
        expect(result.record.cts).toBe(input.timestamp ? Date.parse(input.timestamp) : NOW);
        expect(result.record.ctx.session_id).toBe(input.session_id);
        expect(result.record.ctx.ip).toBe(input.ip ?? "203.0.113.9");
        expect(result.record.ctx.source_format).toBe("tracking");
      }),
    );
  });

  it("turns every valid Segment track into an internal event and identify into a profile record", () => {
    fc.assert(
      fc.property(segmentTrack, (input) => {
        const result = convertEvent(input, cc);
        if (!result.ok || result.kind !== "event") throw new Error(JSON.stringify(result));
        internalEventSchema.parse(result.record);
        expect(result.record).toMatchObject({ event_name: input.event, profile_id: input.userId, props: input.properties ?? {} });
      }),
    );
    fc.assert(
      fc.property(id, props, (userId, traits) => {
        const result = convertEvent({ type: "identify", userId, traits }, cc);
        if (!result.ok || result.kind !== "profile") throw new Error(JSON.stringify(result));
        expect(profileRecordSchema.parse(result.record)).toMatchObject({ profile_id: userId, set: traits });
      }),
    );
  });

  it("never throws on arbitrary JSON and always answers either a valid record or violations", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (input) => {
        const result = convertEvent(input, cc);
        if (result.ok) {
          if (result.kind === "event") internalEventSchema.parse(result.record);
          else profileRecordSchema.parse(result.record);
        } else {
          expect(result.violations.length).toBeGreaterThan(0);
        }
        const profile = convertProfile(input, cc);
        if (profile.ok) profileRecordSchema.parse(profile.record);
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws on near-valid inputs with hostile values in any field", () => {
    const hostile = fc.oneof(fc.anything(), fc.string({ maxLength: 300 }), fc.constant("__proto__"), fc.double(), fc.constant(null));
    fc.assert(
      fc.property(
        fc.constantFrom("event_name", "event_type", "track"),
        fc.dictionary(
          fc.constantFrom(
            "event_name",
            "event_type",
            "event",
            "props",
            "fields",
            "properties",
            "cts",
            "timestamp",
            "profile_id",
            "user_id",
            "userId",
            "ctx",
            "context",
            "event_id",
          ),
          hostile,
        ),
        (kind, fields) => {
          const input = kind === "track" ? { type: "track", ...fields } : { [kind]: "x", ...fields };
          const result = convertEvent(JSON.parse(JSON.stringify(input)) as unknown, cc);
          if (result.ok && result.kind === "event") internalEventSchema.parse(result.record);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("refuses prototype keys at any depth and over-deep nesting as unstorable, naming the path as sent", () => {
    const proto = JSON.parse('{"event_name":"x","props":{"a":{"__proto__":{"admin":true}}}}') as unknown;
    expect(convertEvent(proto, cc)).toMatchObject({ ok: false, violations: [{ type: "unstorable_value", field: "props.a.__proto__" }] });
    let deep: unknown = 1;
    for (let i = 0; i < 50; i++) deep = { d: deep };
    expect(convertEvent({ type: "track", event: "x", properties: deep }, cc)).toMatchObject({
      ok: false,
      violations: [{ type: "unstorable_value", field: `properties${".d".repeat(11)}` }],
    });
    expect(({} as { admin?: boolean }).admin).toBeUndefined();
  });

  it("refuses context fields longer than the stored field, and NUL anywhere; stores lone surrogates as U+FFFD", () => {
    const country = "C".repeat(65);
    expect(convertEvent({ type: "track", event: "x", context: { location: { country } } }, cc)).toMatchObject({
      ok: false,
      violations: [{ type: "unstorable_value", field: "context.location.country" }],
    });
    expect(convertEvent({ event_name: "x", ctx: { ip: "1".repeat(65) } }, cc)).toMatchObject({ ok: false, violations: [{ field: "ctx.ip" }] });
    expect(convertEvent({ event_type: "x", fields: { note: "a\u0000b" } }, cc)).toMatchObject({
      ok: false,
      violations: [{ type: "unstorable_value", field: "fields.note" }],
    });
    const united = convertEvent({ type: "track", event: "x", context: { location: { country: "United States" } } }, cc);
    expect(united).toMatchObject({ ok: true, record: { ctx: { country: "United States" } } });
    const lone = convertEvent({ event_name: "x\ud800", props: { "k\udc00": "v\ud83d" } }, cc);
    expect(lone).toMatchObject({ ok: true, record: { event_name: "x\ufffd", props: { "k\ufffd": "v\ufffd" } } });
  });

  it("names the problem for wrong types and unknown keys", () => {
    expect(convertEvent({ event_name: 42 }, cc)).toMatchObject({ ok: false, violations: [{ type: "malformed", field: "event_name" }] });
    expect(convertEvent({ event_name: "x", surprise: 1 }, cc)).toMatchObject({ ok: false, violations: [{ type: "additional_properties", field: "surprise" }] });
    expect(convertEvent({ event_name: "x", props: [1, 2] }, cc)).toMatchObject({ ok: false, violations: [{ type: "malformed", field: "props" }] });
    expect(convertEvent({ event_type: "x", timestamp: "yesterday" }, cc)).toMatchObject({ ok: false, violations: [{ type: "malformed", field: "timestamp" }] });
    expect(convertEvent({ event_name: "x", project_id: "proj_other" }, cc)).toMatchObject({ ok: false, violations: [{ field: "project_id" }] });
    expect(convertEvent("a string", cc)).toMatchObject({ ok: false });
  });

  it("stamps a UUIDv7 when the client sends no id, ordered by server time", () => {
    const first = convertEvent({ event_name: "x" }, { ...cc, now: NOW });
    const second = convertEvent({ event_name: "x" }, { ...cc, now: NOW + 1 });
    if (!first.ok || !second.ok) throw new Error("conversion failed");
    expect(first.record.event_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(first.record.event_id < second.record.event_id).toBe(true);
  });
});
