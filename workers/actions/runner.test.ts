import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backfillLateness, NOTIFY_MAX_LATENESS_MS } from "./runner";

describe("backfillLateness", () => {
  it("lets live and slightly delayed events notify, and holds back events that arrived over an hour late", () => {
    const sts = Date.parse("2026-12-06T12:00:00Z");
    expect(backfillLateness({ cts: sts - 2_000, sts })).toBeNull();
    expect(backfillLateness({ cts: sts - 59 * 60_000, sts })).toBeNull();
    // A client clock ahead of the server is not a backfill.
    expect(backfillLateness({ cts: sts + 3_600_000, sts })).toBeNull();
    expect(backfillLateness({ cts: sts - 3 * 86_400_000, sts })).toBe(3 * 86_400_000);
  });

  it("is late exactly when the event reached the server more than the limit after it happened (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 42 }), fc.integer({ min: -(2 ** 36), max: 2 ** 36 }), (sts, lateness) => {
        const late = backfillLateness({ cts: sts - lateness, sts });
        expect(late).toBe(lateness > NOTIFY_MAX_LATENESS_MS ? lateness : null);
      }),
    );
  });
});
