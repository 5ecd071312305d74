import { describe, expect, it } from "vitest";
import { cohortFormSchema, describeDefinition, emptyCohortForm, emptyCondition, formFromCohort, keyFromName, type CohortFormValues } from "./cohort-drafts";

function form(part: Partial<CohortFormValues>): CohortFormValues {
  return { ...emptyCohortForm(), key: "vip", name: "VIP", ...part };
}

function problems(values: CohortFormValues): Record<string, string> {
  const parsed = cohortFormSchema.safeParse(values);
  if (parsed.success) return {};
  return Object.fromEntries(parsed.error.issues.map((issue) => [issue.path.join("."), issue.message]));
}

describe("the cohort form → cohort input", () => {
  it("a behaviour and a profile condition become the shared schema's conditions", () => {
    const parsed = cohortFormSchema.parse(
      form({
        match: "any",
        conditions: [
          { ...emptyCondition("behaviour"), event: "purchase", comparison: "at_least", count: "3", days: "30" },
          { ...emptyCondition("prop"), property: "plan", op: "eq", value: "pro" },
        ],
      }),
    );
    expect(parsed).toEqual({
      key: "vip",
      name: "VIP",
      description: "",
      kind: "dynamic",
      definition: {
        match: "any",
        conditions: [
          { kind: "behaviour", event: "purchase", filters: [], comparison: "at_least", count: 3, days: 30 },
          { kind: "prop", filter: { field: "profile.plan", op: "eq", value: "pro" } },
        ],
      },
    });
    expect(describeDefinition(parsed.definition!)).toBe("did purchase at least 3 times in the last 30 days or profile.plan equals pro");
  });

  it("a static cohort sends no definition, whatever conditions the form still holds", () => {
    expect(cohortFormSchema.parse(form({ kind: "static" }))).toEqual({ key: "vip", name: "VIP", description: "", kind: "static" });
  });

  it("problems are shown at the input they are about", () => {
    expect(
      problems(
        form({
          key: "VIP",
          name: "",
          conditions: [
            { ...emptyCondition("behaviour"), event: "", count: "many", days: "400" },
            { ...emptyCondition("prop"), property: "", op: "eq", value: "x" },
            { ...emptyCondition("prop"), property: "age", op: "gt", value: "old" },
          ],
        }),
      ),
    ).toEqual({
      key: expect.stringMatching(/lower-case letter/),
      name: "is required",
      "conditions.0.event": expect.any(String),
      "conditions.0.count": expect.any(String),
      "conditions.0.days": expect.any(String),
      "conditions.1.property": "is required",
      "conditions.2.value": "“profile.age” > needs a number.",
    });
  });

  it("a dynamic cohort needs a condition", () => {
    expect(problems(form({ conditions: [] }))).toEqual({ conditions: "A dynamic cohort needs at least one condition." });
  });

  it("a saved cohort reopens to the same input", () => {
    const values = form({
      description: "Buys often",
      conditions: [
        {
          ...emptyCondition("behaviour"),
          event: "purchase",
          comparison: "exactly",
          count: "2",
          days: "7",
          filters: [{ field: "props.amount", op: "gte", value: "10" }],
        },
        { ...emptyCondition("prop"), property: "country", op: "in", value: "DE, FR" },
      ],
    });
    const input = cohortFormSchema.parse(values);
    expect(cohortFormSchema.parse(formFromCohort({ ...input, description: input.description ?? "", definition: input.definition }))).toEqual(input);
  });

  it("suggests a key from the name", () => {
    expect(keyFromName("VIP buyers (EU)")).toBe("vip_buyers_eu");
    expect(keyFromName("2024 Café signups")).toBe("cafe_signups");
    expect(keyFromName("!!!")).toBe("");
  });
});
