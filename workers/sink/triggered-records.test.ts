/** The sink reads `event.triggered` by the records' `kind` (src/contracts/records), old firings without one included. */
import { describe, expect, it } from "vitest";
import { TOPIC } from "../../src/core/events";
import type { BusMessage } from "../bus/types";
import { decodeForSink } from "./writer";

const message = (value: unknown): BusMessage => ({
  topic: TOPIC.triggered,
  partition: 0,
  offset: "7",
  key: null,
  value: JSON.stringify(value),
  headers: {},
  timestamp: Date.now(),
});

const firing = {
  firing_id: "fir_1",
  project_id: "proj_a",
  trigger_id: "t1",
  trigger_version: 1,
  trigger_name: "Big purchase",
  event_id: "e1",
  event_name: "purchase",
  profile_id: null,
  fired_at: 1_700_000_000_500,
  result: "fired",
  error: null,
  actions: [],
};

describe("decodeForSink on event.triggered", () => {
  it("decodes a firing with or without its kind, and an action result", () => {
    expect(decodeForSink(message(firing))).toMatchObject({ kind: "firing", firing: { firing_id: "fir_1", kind: "firing" } });
    expect(decodeForSink(message({ ...firing, kind: "firing" }))).toMatchObject({ kind: "firing", firing: { firing_id: "fir_1" } });
    const result = {
      kind: "action_result",
      project_id: "proj_a",
      firing_id: "fir_1",
      action_index: 0,
      action_type: "webhook",
      status: "queued",
      detail: "",
      at: 1,
    };
    expect(decodeForSink(message(result))).toEqual({ kind: "action_result", result });
  });

  it("hands back a record of an unknown kind for the dead-letter topic", () => {
    const decoded = decodeForSink(message({ ...firing, kind: "something_new" }));
    expect(decoded.kind).toBe("undecodable");
    expect(decoded.kind === "undecodable" && decoded.letter.value).toContain("sink could not decode a record of event.triggered: kind");
  });
});
