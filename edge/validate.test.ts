import { describe, expect, it } from "vitest";
import type { InternalEvent } from "../src/core/events";
import type { ResolvedKey } from "../src/core/tracking-plan";
import { testPlan } from "./test-fixtures";
import { validateEvent } from "../src/core/ingest/validate";

const NOW = Date.UTC(2026, 10, 21);

const plan = testPlan;

function event(name: string, props: InternalEvent["props"] = {}, cts = NOW): InternalEvent {
  return { type: "event", event_id: "e1", project_id: "proj_1", event_name: name, cts, sts: NOW, profile_id: "p1", props, ctx: {} };
}

const purchase: ResolvedKey["eventTypes"] = [
  {
    name: "purchase",
    fields: [
      { name: "amount", dataType: "number", required: true },
      { name: "quantity", dataType: "integer", required: false },
    ],
  },
];

describe("tracking-plan validation", () => {
  it("accepts anything when the project has no plan", () => {
    expect(validateEvent(event("anything", { a: 1 }), plan())).toEqual({ accept: true, violations: [] });
  });

  it("reports each violation type with the field it concerns", () => {
    const verdict = (name: string, props: InternalEvent["props"]) =>
      validateEvent(event(name, props), plan({}, purchase)).violations.map((v) => [v.type, v.field]);
    expect(verdict("refund", {})).toEqual([["unplanned_event", "event_name"]]);
    expect(verdict("purchase", {})).toEqual([["required_missing", "props.amount"]]);
    expect(verdict("purchase", { amount: "12" })).toEqual([["datatype_mismatch", "props.amount"]]);
    expect(verdict("purchase", { amount: 12, quantity: 1.5 })).toEqual([["datatype_mismatch", "props.quantity"]]);
    expect(verdict("purchase", { amount: 12, coupon: "X" })).toEqual([["additional_properties", "props.coupon"]]);
  });

  it("lets event attribute definitions extend every event type", () => {
    const verdict = validateEvent(
      event("purchase", { amount: 1, campaign: "summer" }),
      plan({}, purchase, [{ entity: "event", name: "campaign", type: "string", itemsType: null }]),
    );
    expect(verdict).toEqual({ accept: true, violations: [] });
  });

  it("refuses under enforce and records under observe", () => {
    expect(validateEvent(event("refund"), plan({ planEnforcement: "enforce" }, purchase)).accept).toBe(false);
    const observed = validateEvent(event("refund"), plan({ planEnforcement: "observe" }, purchase));
    expect(observed).toMatchObject({ accept: true, violations: [{ type: "unplanned_event" }] });
  });

  it("enforces allowed event names and the custom attribute limit", () => {
    expect(validateEvent(event("login"), plan({ allowedEventNames: ["purchase"] })).violations[0]?.type).toBe("unplanned_event");
    expect(validateEvent(event("x", { a: 1, b: 2, c: 3 }), plan({ maxCustomAttributes: 2 })).violations[0]).toMatchObject({
      type: "additional_properties",
      field: "props",
    });
  });

  it("refuses oversized events and timestamps outside the documented window, even when observing", () => {
    const observe = plan({ planEnforcement: "observe", dataRetentionDays: 30 });
    expect(validateEvent(event("x", { blob: "x".repeat(40_000) }), observe)).toMatchObject({ accept: false, violations: [{ type: "malformed" }] });
    expect(validateEvent(event("x", {}, NOW + 2 * 3600_000), observe)).toMatchObject({
      accept: false,
      violations: [{ type: "malformed", field: "timestamp" }],
    });
    expect(validateEvent(event("x", {}, NOW - 31 * 86_400_000), observe)).toMatchObject({
      accept: false,
      violations: [{ type: "malformed", field: "timestamp" }],
    });
    expect(validateEvent(event("x", {}, NOW + 30 * 60_000), observe).accept).toBe(true);
  });
});
