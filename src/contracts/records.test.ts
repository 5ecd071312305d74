import { describe, expect, it } from "vitest";
import { triggeredRecordSchema, type ActionResultRecord } from "./records";

/** A firing as the processor wrote it before records had a `kind`. */
const legacyFiring = {
  firing_id: "fir_1",
  project_id: "proj_a",
  trigger_id: "t1",
  trigger_version: 1,
  trigger_name: "Big purchase",
  event_id: "e1",
  event_name: "purchase",
  profile_id: "alice",
  fired_at: 1_700_000_000_500,
  result: "fired",
  error: null,
  actions: [{ type: "notification", title: "Big", body: "" }],
};

const result: ActionResultRecord = {
  kind: "action_result",
  project_id: "proj_a",
  firing_id: "fir_1",
  action_index: 0,
  action_type: "notification",
  status: "succeeded",
  detail: "notification stored",
  at: 1_700_000_001_000,
};

describe("records of event.triggered", () => {
  it("reads a firing written before records had a kind as a firing", () => {
    expect(triggeredRecordSchema.parse(legacyFiring)).toEqual({ ...legacyFiring, kind: "firing" });
  });

  it("tells firings and action results apart by kind", () => {
    expect(triggeredRecordSchema.parse({ ...legacyFiring, kind: "firing" }).kind).toBe("firing");
    expect(triggeredRecordSchema.parse(result)).toEqual(result);
  });

  it("refuses an unknown kind, and an action result that is not one, instead of reading them as firings", () => {
    expect(triggeredRecordSchema.safeParse({ ...legacyFiring, kind: "something_new" }).success).toBe(false);
    expect(triggeredRecordSchema.safeParse({ ...legacyFiring, kind: "action_result" }).success).toBe(false);
    expect(triggeredRecordSchema.safeParse({ ...result, kind: undefined }).success).toBe(false);
  });
});
