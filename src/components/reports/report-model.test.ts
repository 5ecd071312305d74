import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { filterSchema, timeRangeSchema } from "~/core/reports";
import {
  choiceOfRange,
  DAY_MS,
  draftFromFilter,
  filterFromDraft,
  filtersFromDrafts,
  formatBucket,
  formatDuration,
  parseSavedSpec,
  resolveRange,
  rollRange,
  scalarOf,
  startOfDayInZone,
  zoneOffsetMs,
} from "./report-model";

const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Pacific/Auckland", "America/St_Johns"];

describe("date ranges in the project's time zone", () => {
  it("starts 'today' at local midnight: Berlin in winter is UTC+1", () => {
    const now = new Date("2024-01-15T10:30:00Z");
    expect(resolveRange({ preset: "today" }, "Europe/Berlin", now)).toEqual({ from: "2024-01-14T23:00:00.000Z", to: "2024-01-15T23:00:00.000Z" });
  });

  it("covers whole local days across a DST change (New York, March 2024)", () => {
    const now = new Date("2024-03-12T15:00:00Z");
    const range = resolveRange({ preset: "7d" }, "America/New_York", now);
    // 6 March starts at 05:00Z (EST), 13 March at 04:00Z (EDT).
    expect(range).toEqual({ from: "2024-03-06T05:00:00.000Z", to: "2024-03-13T04:00:00.000Z" });
  });

  it("every preset is a valid range that contains now, in any zone", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("2000-01-01"), max: new Date("2090-01-01"), noInvalidDate: true }),
        fc.constantFrom(...ZONES),
        fc.constantFrom("today", "7d", "30d", "90d") as fc.Arbitrary<"today" | "7d" | "30d" | "90d">,
        (now, zone, preset) => {
          const range = resolveRange({ preset }, zone, now);
          expect(timeRangeSchema.safeParse(range).success).toBe(true);
          if (!("from" in range)) return;
          expect(Date.parse(range.from)).toBeLessThanOrEqual(now.getTime());
          expect(Date.parse(range.to)).toBeGreaterThan(now.getTime());
          // Both ends are local midnights.
          for (const end of [range.from, range.to]) expect((Date.parse(end) + zoneOffsetMs(new Date(end), zone)) % DAY_MS).toBe(0);
        },
      ),
    );
  });

  it("a preset range is recognised again when a saved report is reopened the same day", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date("2000-01-01"), max: new Date("2090-01-01"), noInvalidDate: true }), fc.constantFrom(...ZONES), (now, zone) => {
        const range = resolveRange({ preset: "30d" }, zone, now);
        if ("from" in range) expect(choiceOfRange(range, zone, now)).toEqual({ preset: "30d" });
      }),
    );
  });

  it("custom dates are inclusive and refuse an end before the start", () => {
    expect(resolveRange({ preset: "custom", from: "2024-05-01", to: "2024-05-03" }, "UTC")).toEqual({
      from: "2024-05-01T00:00:00.000Z",
      to: "2024-05-04T00:00:00.000Z",
    });
    expect(resolveRange({ preset: "custom", from: "2024-05-03", to: "2024-05-01" }, "UTC")).toEqual({
      error: "The end date must not be before the start date.",
    });
    expect(resolveRange({ preset: "custom", from: "", to: "2024-05-01" }, "UTC")).toEqual({ error: "Pick both a start and an end date." });
  });

  it("local midnight is found in zones with half-hour offsets", () => {
    expect(startOfDayInZone(new Date("2024-06-01T12:00:00Z"), "Asia/Kolkata").toISOString()).toBe("2024-05-31T18:30:00.000Z");
  });

  it("a saved 'last 7 days' report rolls forward to end today; a closed range stays", () => {
    const savedAt = new Date("2024-01-10T12:00:00Z");
    const saved = resolveRange({ preset: "7d" }, "UTC", savedAt);
    if (!("from" in saved)) throw new Error("unexpected");
    const later = new Date("2024-02-01T08:00:00Z");
    expect(rollRange(saved, savedAt, "UTC", later)).toEqual(resolveRange({ preset: "7d" }, "UTC", later));
    const closed = { from: "2023-12-01T00:00:00.000Z", to: "2023-12-08T00:00:00.000Z" };
    expect(rollRange(closed, savedAt, "UTC", later)).toEqual(closed);
  });
});

describe("filter rows of the form", () => {
  it("numbers and booleans typed as text become numbers and booleans; anything else stays text", () => {
    expect(scalarOf("42")).toBe(42);
    expect(scalarOf("-1.5")).toBe(-1.5);
    expect(scalarOf("true")).toBe(true);
    expect(scalarOf("0x10")).toBe("0x10");
    expect(scalarOf("summer_sale")).toBe("summer_sale");
  });

  it("comparisons need a number and say so", () => {
    expect(filterFromDraft({ field: "props.amount", op: "gt", value: "lots" })).toEqual({ error: "“props.amount” > needs a number." });
    expect(filterFromDraft({ field: "props.amount", op: "gte", value: "100" })).toEqual({ filter: { field: "props.amount", op: "gte", value: 100 } });
  });

  it("lists are split on commas", () => {
    expect(filterFromDraft({ field: "ctx.country", op: "in", value: "DE, FR ,, 7" })).toEqual({
      filter: { field: "ctx.country", op: "in", values: ["DE", "FR", 7] },
    });
  });

  it("refuses unknown fields with the domain's message, and hostile field names", () => {
    const result = filterFromDraft({ field: "props.__proto__'; DROP", op: "eq", value: "x" });
    expect("error" in result && result.error).toMatch(/Unknown field/);
    expect(filterFromDraft({ field: "", op: "eq", value: "x" })).toEqual({ error: "Pick a property to filter on." });
  });

  it("empty rows are skipped; the first bad row is reported", () => {
    expect(
      filtersFromDrafts([
        { field: "", op: "eq", value: "" },
        { field: "props.plan", op: "eq", value: "pro" },
      ]),
    ).toEqual({ filters: [{ field: "props.plan", op: "eq", value: "pro" }] });
    expect("error" in filtersFromDrafts([{ field: "props.a", op: "lt", value: "x" }])).toBe(true);
  });

  it("every valid filter survives the round trip through a form row", () => {
    const field = fc.constantFrom("event_name", "props.amount", "ctx.country", "profile.plan");
    const text = fc
      .string({ maxLength: 20 })
      .filter((value) => !value.includes(",") && value.trim() === value && value !== "" && typeof scalarOf(value) === "string");
    const filter = fc.oneof(
      fc.record({ field, op: fc.constantFrom("eq" as const, "neq" as const), value: fc.oneof(text, fc.integer()) }),
      fc.record({ field, op: fc.constantFrom("gt" as const, "lte" as const), value: fc.integer() }),
      fc.record({ field, op: fc.constantFrom("in" as const), values: fc.array(fc.oneof(text, fc.integer()), { minLength: 1, maxLength: 5 }) }),
      fc.record({ field, op: fc.constantFrom("is_set" as const) }),
    );
    fc.assert(
      fc.property(filter, (original) => {
        const parsed = filterSchema.parse(original);
        expect(filterFromDraft(draftFromFilter(parsed))).toEqual({ filter: parsed });
      }),
    );
  });
});

describe("saved specs and labels", () => {
  it("a stored definition of the wrong shape is refused rather than rendered", () => {
    expect(parseSavedSpec("trend", { range: { from: "x", to: "y" }, series: [] })).toBeNull();
    expect(parseSavedSpec("nope", {})).toBeNull();
    const ok = parseSavedSpec("segment", { range: { from: "2024-01-01T00:00:00Z", to: "2024-01-02T00:00:00Z" }, event: null, breakdown: "os" });
    expect(ok?.kind).toBe("segment");
  });

  it("bucket labels and durations read naturally", () => {
    expect(formatBucket("2024-03-10T00:00", "day")).toBe("Mar 10");
    expect(formatBucket("2024-03-10T14:00", "hour")).toBe("Mar 10 14:00");
    expect(formatBucket("2024-03-01T00:00", "month")).toBe("Mar 2024");
    expect(formatDuration(42)).toBe("42 s");
    expect(formatDuration(5400)).toBe("1.5 h");
  });
});
