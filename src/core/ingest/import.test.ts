import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ResolvedKey } from "../tracking-plan";
import { createRecordReader, csvHeader, csvValue, importInputOf, judgeImport, stableHash, type FileRecord, type ImportFormat } from "./import";

const NOW = Date.UTC(2026, 11, 6, 12);
const DAY = 86_400_000;

function plan(planEnforcement: "observe" | "enforce" = "enforce", dataRetentionDays = 365): ResolvedKey {
  return {
    keyId: "import",
    project: {
      id: "proj_1",
      organizationId: "org_1",
      archived: false,
      timezone: "UTC",
      dataRetentionDays,
      maxCustomAttributes: 100,
      allowedEventNames: [],
      planEnforcement,
      rateLimitPerSecond: 1000,
    },
    eventTypes: [{ name: "purchase", fields: [{ name: "amount", dataType: "number", required: true }] }],
    attributes: [{ entity: "event", name: "name", type: "string", itemsType: null }],
  };
}

/** Reads a whole file as the server does, in chunks of the given sizes. */
function read(format: ImportFormat, text: string, cuts: number[] = []): FileRecord[] {
  const reader = createRecordReader(format, 1000);
  const out: FileRecord[] = [];
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    out.push(...reader.push(text.slice(at, Math.max(at, cut))));
    at = Math.max(at, cut);
  }
  out.push(...reader.push(text.slice(at)), ...reader.end());
  return out;
}

function judge(format: ImportFormat, text: string, resolved = plan()) {
  const records = read(format, text);
  let header: string[] | undefined;
  const inputs = [];
  for (const record of records) {
    if (format === "csv" && !header && "fields" in record) {
      const parsed = csvHeader(record.fields);
      if (parsed.ok) header = parsed.header;
      continue;
    }
    inputs.push({ line: record.line, input: importInputOf(format, record, header) });
  }
  return judgeImport(inputs, { plan: resolved, receivedAt: NOW, requestCtx: {} }, { jobId: "imp_1", fireActions: false });
}

describe("reading a file line by line", () => {
  it("gives the same lines, numbered from 1, however the text is cut into chunks (property)", () => {
    const line = fc.string({ unit: fc.constantFrom("a", "{", "\r", " ", "é", "😀"), maxLength: 12 });
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), fc.array(fc.nat(300), { maxLength: 6 }), (lines, cuts) => {
        const text = lines.join("\n");
        const expected = lines
          .map((content, index) => ({ line: index + 1, text: content.endsWith("\r") ? content.slice(0, -1) : content }))
          .filter((record) => record.text.trim().length > 0);
        expect(read("ndjson", text, cuts)).toEqual(expected);
      }),
    );
  });

  it("refuses an over-long line by number without keeping it, and reads on", () => {
    const records = read("ndjson", `{"a":1}\n${"x".repeat(5000)}\n{"b":2}`, [10, 600, 3000]);
    expect(records).toEqual([
      { line: 1, text: '{"a":1}' },
      { line: 2, problem: "the line is longer than 1000 characters" },
      { line: 3, text: '{"b":2}' },
    ]);
  });

  it("reads CSV fields as RFC 4180 writes them, however cut (property against a reference writer)", () => {
    const cell = fc.string({ unit: fc.constantFrom("a", ",", '"', "\n", " ", "1"), maxLength: 6 });
    const quote = (value: string) => (/[",\n]/.test(value) || value === "" ? `"${value.replaceAll('"', '""')}"` : value);
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(200), { maxLength: 5 }),
        (rows, cuts) => {
          const text = rows.map((row) => row.map(quote).join(",")).join("\r\n") + "\r\n";
          const records = read("csv", text, cuts);
          expect(records.map((record) => ("fields" in record ? record.fields : record))).toEqual(rows);
          // Each record is numbered by the line it starts on.
          let line = 1;
          rows.forEach((row, index) => {
            expect(records[index]!.line).toBe(line);
            line += row.map(quote).join(",").split("\n").length;
          });
        },
      ),
    );
  });

  it("names an unclosed quote at the end of the file", () => {
    expect(read("csv", 'a,b\n1,"open')).toEqual([
      { line: 1, fields: ["a", "b"] },
      { line: 2, problem: "a quoted field is not closed before the end of the file" },
    ]);
  });
});

describe("importing each format", () => {
  it("NDJSON: any live format, with a timestamp; refusals by line, as live ingest refuses them", () => {
    const t = new Date(NOW - 200 * DAY).toISOString();
    const { accepted, refused } = judge(
      "ndjson",
      [
        JSON.stringify({ event_name: "purchase", event_id: "o-1", timestamp: t, profile_id: "u1", props: { amount: 5 } }),
        JSON.stringify({ event_type: "purchase", timestamp: t, user_id: "u2", fields: { amount: 7 } }),
        JSON.stringify({ event_name: "purchase", profile_id: "u3", props: { amount: 1 } }),
        JSON.stringify({ event_name: "purchase", timestamp: t, props: {} }),
        "not json",
        JSON.stringify({ event_name: "purchase", timestamp: NOW - 400 * DAY, props: { amount: 1 } }),
      ].join("\n"),
    );
    expect(accepted.map(({ line, record }) => [line, record.type === "event" ? record.cts : null])).toEqual([
      [1, NOW - 200 * DAY],
      [2, NOW - 200 * DAY],
    ]);
    expect(accepted[0]!.record).toMatchObject({ event_id: "o-1", profile_id: "u1", backfill: { job_id: "imp_1", fire_actions: false } });
    expect(accepted[1]!.record.event_id).toMatch(/^imp-[0-9a-f]{32}$/);
    expect(refused).toEqual([
      { line: 3, reason: "malformed", field: "timestamp", message: "timestamp: an imported event needs its timestamp (the time it happened)" },
      { line: 4, reason: "required_missing", field: "props.amount", message: 'props.amount: "amount" is required' },
      { line: 5, reason: "malformed", message: "the line is not valid JSON" },
      { line: 6, reason: "malformed", field: "timestamp", message: "timestamp: timestamp is older than the project's 365-day retention" },
    ]);
  });

  it("gives a line without an id the same event_id on every import, and different lines different ids (property)", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 1e6 }), { minLength: 1, maxLength: 20 }), (amounts) => {
        const text = amounts.map((amount) => JSON.stringify({ event_name: "purchase", timestamp: NOW - DAY, props: { amount } })).join("\n");
        const first = judge("ndjson", text).accepted.map(({ record }) => record.event_id);
        const again = judge("ndjson", text).accepted.map(({ record }) => record.event_id);
        expect(again).toEqual(first);
        expect(new Set(first).size).toBe(amounts.length);
      }),
    );
  });

  it("Segment: track, identify, page and screen; messageId is the event_id; other calls are refused", () => {
    const ts = new Date(NOW - 10 * DAY).toISOString();
    const lines = [
      { type: "track", event: "purchase", userId: "u1", messageId: "ajs-1", timestamp: ts, properties: { amount: 3 }, context: { os: { name: "iOS" } } },
      { type: "identify", userId: "u1", messageId: "ajs-2", traits: { plan: "pro" } },
      { type: "page", anonymousId: "a1", name: "Home", messageId: "ajs 3 with spaces", originalTimestamp: ts, properties: {} },
      { type: "alias", userId: "u1", previousId: "a1", timestamp: ts },
      { type: "track", event: "purchase", userId: "u1", properties: { amount: 3 } },
    ];
    const { accepted, refused } = judge("segment", lines.map((line) => JSON.stringify(line)).join("\n"), plan("observe"));
    expect(accepted.map(({ record }) => [record.type, record.event_id])).toEqual([
      ["event", "ajs-1"],
      ["profile", "ajs-2"],
      ["event", `seg-${stableHash("ajs 3 with spaces")}`],
    ]);
    expect(accepted[0]!.record).toMatchObject({ cts: NOW - 10 * DAY, profile_id: "u1", ctx: { os: "iOS", source_format: "segment" } });
    expect(accepted[1]!.record).toMatchObject({ profile_id: "u1", set: { plan: "pro" } });
    expect(accepted[2]!.record).toMatchObject({ event_name: "page_view", profile_id: "a1", props: { name: "Home" } });
    expect(refused.map(({ line, field }) => [line, field])).toEqual([
      [4, "type"],
      [5, "timestamp"],
    ]);
  });

  it("Mixpanel: time in seconds, distinct_id as the profile, $ context props, and an event_id from Mixpanel's dedup key", () => {
    const time = Math.floor((NOW - 3 * DAY) / 1000);
    const line = (insertId: string, amount: number) =>
      JSON.stringify({
        event: "purchase",
        properties: { time, distinct_id: "u9", $insert_id: insertId, amount, $os: "Mac OS X", mp_country_code: "FR", $current_url: "https://x" },
      });
    const { accepted } = judge("mixpanel", [line("ins-1", 5), line("ins-1", 5), line("ins-2", 5)].join("\n"), plan("observe"));
    expect(accepted[0]!.record).toMatchObject({
      event_name: "purchase",
      cts: time * 1000,
      profile_id: "u9",
      props: { amount: 5, $current_url: "https://x" },
      ctx: { os: "Mac OS X", country: "FR" },
    });
    const ids = accepted.map(({ record }) => record.event_id);
    expect(ids[0]).toBe(`mp-${stableHash(JSON.stringify(["purchase", "u9", time, "ins-1"]))}`);
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it("CSV: a header row, typed cells, props and ctx columns", () => {
    const ts = new Date(NOW - 5 * DAY).toISOString();
    const text = [
      "\uFEFFevent_name,timestamp,user_id,amount,ctx.country,note",
      `purchase,${ts},u1,12.5,DE,"hello, ""world"""`,
      `purchase,${ts},u2,,FR,`,
      "purchase,,u3,1,,",
      "purchase,1",
    ].join("\n");
    const { accepted, refused } = judge("csv", text, plan("observe"));
    expect(accepted).toHaveLength(2);
    expect(accepted[0]).toMatchObject({ line: 2, record: { profile_id: "u1", props: { amount: 12.5, note: 'hello, "world"' }, ctx: { country: "DE" } } });
    expect(accepted[0]!.record.event_id).toMatch(/^csv-/);
    expect(refused.map(({ line, message }) => [line, message])).toEqual([
      [4, "timestamp: an imported event needs its timestamp (the time it happened)"],
      [5, "the row has 2 fields; the header has 6"],
    ]);
  });

  it("CSV cells: numbers, booleans and JSON as such, the rest as text", () => {
    expect(["12", "-0.5", "1e3", "007", "true", "[1,2]", '{"a":1}', "{oops", "9007199254740993"].map(csvValue)).toEqual([
      12,
      -0.5,
      1000,
      "007",
      true,
      [1, 2],
      { a: 1 },
      "{oops",
      "9007199254740993",
    ]);
    expect(csvHeader(["time", "user_id"])).toEqual({ ok: false, message: "the CSV header needs an event_name column" });
  });
});
