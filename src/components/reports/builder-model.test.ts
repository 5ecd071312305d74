import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { REPORT_KINDS, reportSpecSchema, type ReportSpec } from "~/core/reports";
import { draftFromSpec, emptyDraft, emptySeries, emptyStep, specFromDraft, suggestedName } from "./builder-model";
import { FILTER_OPERATORS, type FilterDraft, type FilterOperator } from "./report-model";

const NOW = new Date("2024-06-15T12:00:00Z");

describe("the report builder's form → spec", () => {
  it("an untouched trend counts every event over the last 7 days, by day", () => {
    const result = specFromDraft(emptyDraft("trend"), "UTC", NOW);
    expect(result).toEqual({
      spec: {
        kind: "trend",
        definition: {
          range: { from: "2024-06-09T00:00:00.000Z", to: "2024-06-16T00:00:00.000Z" },
          interval: "day",
          series: [{ event: null, filters: [], aggregation: { op: "count" } }],
          filters: [],
          compare: false,
          compareTo: "previous",
          cohortFilters: [],
          cohortBreakdown: [],
        },
      },
    });
  });

  it("a funnel with an empty step says which one", () => {
    const draft = emptyDraft("funnel");
    draft.funnel.steps = [{ ...emptyStep(), event: "page_view" }, emptyStep()];
    expect(specFromDraft(draft, "UTC", NOW)).toEqual({ errors: ["Step 2 needs an event name."] });
  });

  it("the conversion window is converted to seconds and capped at 90 days", () => {
    const draft = emptyDraft("funnel");
    draft.funnel = { steps: [step("a"), step("b")], windowValue: "2", windowUnit: "hours", breakdown: "" };
    const result = specFromDraft(draft, "UTC", NOW);
    expect("spec" in result && result.spec.kind === "funnel" && result.spec.definition.windowSeconds).toBe(7200);
    draft.funnel.windowValue = "91";
    draft.funnel.windowUnit = "days";
    expect(specFromDraft(draft, "UTC", NOW)).toEqual({ errors: ["The conversion window may be at most 90 days."] });
  });

  it("numeric measures need a property; bad numbers and filters are all reported", () => {
    const draft = emptyDraft("segment");
    draft.segment.aggregation = { op: "sum", field: "" };
    draft.segment.topN = "0";
    draft.filters = [{ field: "props.amount", op: "gt", value: "many" }];
    const result = specFromDraft(draft, "UTC", NOW);
    expect(result).toEqual({ errors: ["“props.amount” > needs a number."] });
    draft.filters = [];
    expect(specFromDraft(draft, "UTC", NOW)).toEqual({ errors: ["Sum of needs a numeric property.", "Top N must be a whole number from 1 to 100."] });
  });

  it("a funnel step's own filters and label go into that step only", () => {
    const draft = emptyDraft("funnel");
    draft.filters = [{ field: "browser", op: "eq", value: "Firefox" }];
    draft.funnel.steps = [
      step("page_view"),
      {
        event: "purchase",
        label: " Big purchase ",
        filters: [
          { field: "props.amount", op: "gte", value: "100" },
          { field: "", op: "eq", value: "" },
        ],
      },
    ];
    const result = specFromDraft(draft, "UTC", NOW);
    if (!("spec" in result) || result.spec.kind !== "funnel") throw new Error(JSON.stringify(result));
    expect(result.spec.definition.filters).toEqual([{ field: "browser", op: "eq", value: "Firefox" }]);
    // An empty step carries no label key at all (a saved spec has no `"label": undefined`).
    expect(result.spec.definition.steps).toStrictEqual([
      { event: "page_view", filters: [] },
      { event: "purchase", label: "Big purchase", filters: [{ field: "props.amount", op: "gte", value: 100 }] },
    ]);
    expect(suggestedName(result.spec)).toBe("page_view → Big purchase");
  });

  it("a bad step or series filter says which step or series it belongs to", () => {
    const funnel = emptyDraft("funnel");
    funnel.funnel.steps = [step("a"), { ...step("b"), filters: [{ field: "props.amount", op: "gt", value: "lots" }] }];
    expect(specFromDraft(funnel, "UTC", NOW)).toEqual({ errors: ["Step 2: “props.amount” > needs a number."] });
    const trend = emptyDraft("trend");
    trend.trend.series = [emptySeries(), { ...emptySeries(), filters: [{ field: "nope", op: "is_set", value: "" }] }];
    const result = specFromDraft(trend, "UTC", NOW);
    expect("errors" in result && result.errors[0]).toMatch(/^Series B: Unknown field/);
  });

  it("a trend series keeps its label and filters; an over-long label is refused", () => {
    const draft = emptyDraft("trend");
    draft.trend.series = [
      { event: "purchase", aggregation: { op: "count", field: "" }, label: "Buys", filters: [{ field: "ctx.country", op: "in", value: "DE, FR" }] },
    ];
    const result = specFromDraft(draft, "UTC", NOW);
    expect("spec" in result && result.spec.kind === "trend" && result.spec.definition.series).toStrictEqual([
      { event: "purchase", label: "Buys", filters: [{ field: "ctx.country", op: "in", values: ["DE", "FR"] }], aggregation: { op: "count" } },
    ]);
    draft.trend.series[0]!.label = "x".repeat(101);
    expect(specFromDraft(draft, "UTC", NOW)).toEqual({ errors: ["Series A: a label is at most 100 characters."] });
  });

  it("paths need their event; steps and top N are bounded", () => {
    const draft = emptyDraft("paths");
    draft.paths.direction = "before";
    draft.paths.topN = "51";
    expect(specFromDraft(draft, "UTC", NOW)).toEqual({ errors: ["Name the event the paths lead to.", "Top paths must be a whole number from 1 to 50."] });
    draft.paths = { ...draft.paths, event: "purchase", topN: "5", depth: "5" };
    const result = specFromDraft(draft, "UTC", NOW);
    expect("spec" in result && result.spec).toEqual({
      kind: "paths",
      definition: {
        range: { from: "2024-06-09T00:00:00.000Z", to: "2024-06-16T00:00:00.000Z" },
        filters: [],
        event: "purchase",
        direction: "before",
        depth: 5,
        topN: 5,
        sessionGapSeconds: 1800,
        cohortFilters: [],
        cohortBreakdown: [],
      },
    });
  });

  it("query events are a comma-separated list", () => {
    const draft = emptyDraft("query");
    draft.query.events = "signup, purchase,,";
    const result = specFromDraft(draft, "UTC", NOW);
    expect("spec" in result && result.spec.kind === "query" && result.spec.definition.events).toEqual(["signup", "purchase"]);
  });

  it("cohort filters and the cohort breakdown go into every kind; unpicked rows and repeats are left out", () => {
    for (const kind of REPORT_KINDS) {
      const draft = emptyDraft(kind);
      draft.trend.series[0]!.event = "purchase";
      draft.funnel.steps = [step("a"), step("b")];
      draft.paths.event = "purchase";
      draft.cohortFilters = [
        { cohortId: "c-vip", op: "in" },
        { cohortId: "", op: "in" },
        { cohortId: "c-churned", op: "not_in" },
      ];
      draft.cohortBreakdown = ["c-vip", "c-new", "c-vip"];
      const result = specFromDraft(draft, "UTC", NOW);
      if (!("spec" in result)) throw new Error(`${kind}: ${result.errors.join("; ")}`);
      expect(result.spec.definition.cohortFilters).toEqual([
        { cohortId: "c-vip", op: "in" },
        { cohortId: "c-churned", op: "not_in" },
      ]);
      expect(result.spec.definition.cohortBreakdown).toEqual(["c-vip", "c-new"]);
      const reopened = draftFromSpec(result.spec, "UTC", NOW);
      expect(reopened.cohortFilters).toEqual([
        { cohortId: "c-vip", op: "in" },
        { cohortId: "c-churned", op: "not_in" },
      ]);
      expect(reopened.cohortBreakdown).toEqual(["c-vip", "c-new"]);
    }
  });

  it("too many cohort filters or breakdown cohorts say so", () => {
    const draft = emptyDraft("query");
    draft.cohortFilters = Array.from({ length: 6 }, (_, index) => ({ cohortId: `c${index}`, op: "in" as const }));
    draft.cohortBreakdown = Array.from({ length: 11 }, (_, index) => `c${index}`);
    expect(specFromDraft(draft, "UTC", NOW)).toEqual({ errors: ["A report takes at most 5 cohort filters."] });
    draft.cohortFilters = [];
    expect(specFromDraft(draft, "UTC", NOW)).toEqual({ errors: ["A report breaks down by at most 10 cohorts."] });
  });

  it("a saved report from before cohorts reopens with none", () => {
    const spec = reportSpecSchema.parse({
      kind: "segment",
      definition: { range: { from: "2024-06-09T00:00:00.000Z", to: "2024-06-16T00:00:00.000Z" }, event: null, breakdown: "browser" },
    });
    const draft = draftFromSpec(spec, "UTC", NOW);
    expect(draft.cohortFilters).toEqual([]);
    expect(draft.cohortBreakdown).toEqual([]);
  });

  it("every spec the builder makes reopens to the same spec (saved reports open unchanged)", () => {
    const name = fc.constantFrom("", "page_view", "purchase", "add_to_cart");
    const label = fc.oneof(fc.constant(""), fc.string({ maxLength: 100 }));
    const filtersArb = fc.array(filterDraft, { maxLength: 3 });
    const rowArb = fc.record({ event: name, label, filters: filtersArb });
    const draftArb = fc.record({
      kind: fc.constantFrom("trend", "funnel", "segment", "retention", "paths", "query") as fc.Arbitrary<ReportSpec["kind"]>,
      preset: fc.constantFrom("today", "7d", "30d", "90d") as fc.Arbitrary<"today" | "7d" | "30d" | "90d">,
      events: fc.array(rowArb, { minLength: 1, maxLength: 4 }),
      filters: filtersArb,
      compare: fc.boolean(),
      compareTo: fc.constantFrom("previous", "year") as fc.Arbitrary<"previous" | "year">,
      windowValue: fc.integer({ min: 1, max: 48 }),
      windowUnit: fc.constantFrom("minutes", "hours") as fc.Arbitrary<"minutes" | "hours">,
      periods: fc.integer({ min: 1, max: 60 }),
      direction: fc.constantFrom("after", "before") as fc.Arbitrary<"after" | "before">,
      depth: fc.integer({ min: 1, max: 5 }),
      sessionGapSeconds: fc.integer({ min: 60, max: 86_400 }),
      cohortFilters: fc.array(fc.record({ cohortId: cohortId, op: fc.constantFrom("in", "not_in") as fc.Arbitrary<"in" | "not_in"> }), { maxLength: 5 }),
      cohortBreakdown: fc.uniqueArray(cohortId, { maxLength: 10 }),
    });
    fc.assert(
      fc.property(draftArb, (input) => {
        const draft = emptyDraft(input.kind);
        draft.range = { preset: input.preset };
        const events = input.events.map((row) => row.event);
        draft.filters = input.filters;
        draft.cohortFilters = input.cohortFilters;
        draft.cohortBreakdown = input.cohortBreakdown;
        draft.trend = {
          series: input.events.map((row) => ({ ...row, aggregation: { op: "count", field: "" } })),
          compare: input.compare,
          compareTo: input.compareTo,
        };
        draft.funnel = {
          steps: [...input.events.map((row) => ({ ...row, event: row.event || "x" })), step("y")],
          windowValue: String(input.windowValue),
          windowUnit: input.windowUnit,
          breakdown: "browser",
        };
        draft.segment.event = events[0] ?? "";
        draft.retention = { cohortEvent: events[0] ?? "", returnEvent: "", interval: "week", periods: String(input.periods) };
        draft.query.events = events.filter(Boolean).join(", ");
        draft.paths = {
          event: events[0] || "x",
          direction: input.direction,
          depth: String(input.depth),
          topN: "7",
          sessionGapSeconds: input.sessionGapSeconds,
        };
        const first = specFromDraft(draft, "Europe/Berlin", NOW);
        if (!("spec" in first)) throw new Error(first.errors.join("; "));
        expect(reportSpecSchema.safeParse(first.spec).success).toBe(true);
        const again = specFromDraft(draftFromSpec(first.spec, "Europe/Berlin", NOW), "Europe/Berlin", NOW);
        expect(again).toEqual(first);
        expect(suggestedName(first.spec).length).toBeGreaterThan(0);
      }),
    );
  });
});

const cohortId = fc.constantFrom("cm1vip", "cm2new", "cm3churned", "cm4_x", "cm5-y");

function step(event: string) {
  return { ...emptyStep(), event };
}

/**
 * Filter rows as a user could type them and the builder accepts: any operator, and a value that
 * suits it — numbers as typed ("-0", "1e3", "007"), true/false, text with spaces, comma lists.
 */
const filterDraft: fc.Arbitrary<FilterDraft> = fc
  .record({
    field: fc.constantFrom("browser", "event_name", "props.plan", "props.cart.total", "ctx.country", "profile.vip_level"),
    op: fc.constantFrom(...FILTER_OPERATORS) as fc.Arbitrary<FilterOperator>,
    text: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom("true", "false", " pro ", "-0", "007", "1e3", "1.50")),
    number: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }).map(String), fc.constantFrom("-0", "007", "1e3", " 2.50 ")),
    list: fc.array(fc.oneof(fc.string({ maxLength: 10 }), fc.integer().map(String)), { minLength: 1, maxLength: 4 }),
  })
  .map(({ field, op, text, number, list }) => {
    switch (op) {
      case "gt":
      case "gte":
      case "lt":
      case "lte":
        return { field, op, value: String(number) };
      case "in":
      case "not_in":
        // At least one non-empty value, or the row asks for values.
        return { field, op, value: ["a", ...list].join(",") };
      case "is_set":
      case "is_not_set":
        return { field, op, value: "" };
      default:
        return { field, op, value: text };
    }
  });
