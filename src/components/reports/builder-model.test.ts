import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { reportSpecSchema, type ReportSpec } from "~/domain/reports";
import { draftFromSpec, emptyDraft, specFromDraft, suggestedName } from "./builder-model";

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
        },
      },
    });
  });

  it("a funnel with an empty step says which one", () => {
    const draft = emptyDraft("funnel");
    draft.funnel.steps = ["page_view", ""];
    expect(specFromDraft(draft, "UTC", NOW)).toEqual({ errors: ["Step 2 needs an event name."] });
  });

  it("the conversion window is converted to seconds and capped at 90 days", () => {
    const draft = emptyDraft("funnel");
    draft.funnel = { steps: ["a", "b"], windowValue: "2", windowUnit: "hours", breakdown: "" };
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

  it("query events are a comma-separated list", () => {
    const draft = emptyDraft("query");
    draft.query.events = "signup, purchase,,";
    const result = specFromDraft(draft, "UTC", NOW);
    expect("spec" in result && result.spec.kind === "query" && result.spec.definition.events).toEqual(["signup", "purchase"]);
  });

  it("every spec the builder makes reopens to the same spec (saved reports open unchanged)", () => {
    const name = fc.constantFrom("", "page_view", "purchase", "add_to_cart");
    const draftArb = fc.record({
      kind: fc.constantFrom("trend", "funnel", "segment", "retention", "query") as fc.Arbitrary<ReportSpec["kind"]>,
      preset: fc.constantFrom("today", "7d", "30d", "90d") as fc.Arbitrary<"today" | "7d" | "30d" | "90d">,
      events: fc.array(name, { minLength: 1, maxLength: 4 }),
      compare: fc.boolean(),
      windowValue: fc.integer({ min: 1, max: 48 }),
      windowUnit: fc.constantFrom("minutes", "hours") as fc.Arbitrary<"minutes" | "hours">,
      periods: fc.integer({ min: 1, max: 60 }),
    });
    fc.assert(
      fc.property(draftArb, (input) => {
        const draft = emptyDraft(input.kind);
        draft.range = { preset: input.preset };
        draft.trend = { series: input.events.map((event) => ({ event, aggregation: { op: "count", field: "" } })), compare: input.compare };
        draft.funnel = {
          steps: [...input.events.map((event) => event || "x"), "y"],
          windowValue: String(input.windowValue),
          windowUnit: input.windowUnit,
          breakdown: "browser",
        };
        draft.segment.event = input.events[0] ?? "";
        draft.retention = { cohortEvent: input.events[0] ?? "", returnEvent: "", interval: "week", periods: String(input.periods) };
        draft.query.events = input.events.filter(Boolean).join(", ");
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
