import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { alertConfigSchema, alertInputSchema, evaluateAlert, firesActions, MIN_BASELINE, type AlertConfig } from "./alerts";

// An independent reference: order statistics by counting (no sorting), the baseline walked by hand.

/** The k-th smallest (0-based): the value with at most k values below it and more than k at or below it. */
function kthSmallest(values: number[], k: number): number {
  for (const candidate of values) {
    let below = 0;
    let atOrBelow = 0;
    for (const value of values) {
      if (value < candidate) below++;
      if (value <= candidate) atOrBelow++;
    }
    if (below <= k && k < atOrBelow) return candidate;
  }
  throw new Error("unreachable");
}

function refMedian(values: number[]): number {
  const n = values.length;
  return n % 2 === 1 ? kthSmallest(values, (n - 1) / 2) : (kthSmallest(values, n / 2 - 1) + kthSmallest(values, n / 2)) / 2;
}

function refEvaluate(values: Array<number | null>, config: AlertConfig): { state: string; median: number | null; mad: number | null } {
  const current = values.length === 0 ? null : values[values.length - 1]!;
  if (current === null) return { state: "no_data", median: null, mad: null };
  if (config.condition === "above") return { state: current > config.threshold! ? "firing" : "ok", median: null, mad: null };
  if (config.condition === "below") return { state: current < config.threshold! ? "firing" : "ok", median: null, mad: null };
  const baseline: number[] = [];
  for (let i = values.length - 2; i >= 0 && i >= values.length - 1 - config.window; i--) {
    const value = values[i];
    if (value !== null && value !== undefined) baseline.push(value);
  }
  if (baseline.length < MIN_BASELINE) return { state: "no_data", median: null, mad: null };
  const centre = refMedian(baseline);
  const mad = refMedian(baseline.map((value) => Math.abs(value - centre)));
  const outside = current < centre - config.k * mad || current > centre + config.k * mad;
  return { state: outside ? "firing" : "ok", median: centre, mad };
}

const config = (input: Partial<AlertConfig> & Pick<AlertConfig, "condition">): AlertConfig => alertConfigSchema.parse(input);
const valueArb = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }));
const seriesArb = fc.array(fc.option(valueArb, { freq: 6, nil: null }), { minLength: 0, maxLength: 40 });
const configArb = fc.oneof(
  fc.record({ condition: fc.constantFrom("above" as const, "below" as const), threshold: valueArb }).map(config),
  fc
    .record({ condition: fc.constant("anomaly" as const), k: fc.double({ min: 0.1, max: 10, noNaN: true }), window: fc.integer({ min: 3, max: 30 }) })
    .map(config),
);

describe("evaluateAlert", () => {
  it("agrees with the counting reference on state, median and MAD", () => {
    fc.assert(
      fc.property(seriesArb, configArb, (values, alertConfig) => {
        const got = evaluateAlert(values, alertConfig);
        const want = refEvaluate(values, alertConfig);
        expect(got.state).toBe(want.state);
        expect(got.median).toBe(want.median);
        expect(got.mad).toBe(want.mad);
      }),
      { numRuns: 500 },
    );
  });

  it("never fires an anomaly on a flat series", () => {
    fc.assert(
      fc.property(
        valueArb,
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 3, max: 30 }),
        fc.double({ min: 0.1, max: 10, noNaN: true }),
        (v, n, window, k) => {
          expect(evaluateAlert(Array<number>(n).fill(v), config({ condition: "anomaly", window, k })).state).not.toBe("firing");
        },
      ),
    );
  });

  it("judges an anomaly the same after the series is doubled and shifted", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 30 }), fc.integer({ min: -500, max: 500 }), (values, shift) => {
        const anomaly = config({ condition: "anomaly", window: 10, k: 2 });
        expect(
          evaluateAlert(
            values.map((v) => v * 2 + shift),
            anomaly,
          ).state,
        ).toBe(evaluateAlert(values, anomaly).state);
      }),
    );
  });

  it("fires on a spike and not on ordinary noise", () => {
    const daily = [100, 104, 98, 101, 99, 103, 97, 100, 102, 98, 101, 99, 100, 103];
    const anomaly = config({ condition: "anomaly", window: 14, k: 3 });
    // median 100, MAD 1.5: ok within 100 ± 4.5 (104), firing beyond it (105, 160, 40).
    expect(evaluateAlert([...daily, 104], anomaly)).toMatchObject({ state: "ok", median: 100, mad: 1.5 });
    expect(evaluateAlert([...daily, 105], anomaly).state).toBe("firing");
    expect(evaluateAlert([...daily, 160], anomaly)).toMatchObject({ state: "firing", median: 100, mad: 1.5 });
    expect(evaluateAlert([...daily, 40], anomaly).state).toBe("firing");
  });

  it("leaves the evaluated period out of its own baseline and looks back `window` periods only", () => {
    // The 1000s are older than the window: the baseline is the five 10s, MAD 0, so 11 fires.
    expect(evaluateAlert([1000, 1000, 1000, 10, 10, 10, 10, 10, 11], config({ condition: "anomaly", window: 5, k: 3 })).state).toBe("firing");
    expect(evaluateAlert([10, 10, 10, 10, 10, 10], config({ condition: "anomaly", window: 5, k: 3 })).state).toBe("ok");
  });

  it("needs three valued baseline periods", () => {
    expect(evaluateAlert([5, null, 5, 500], config({ condition: "anomaly", window: 14 })).state).toBe("no_data");
    expect(evaluateAlert([5, null, 5, 5, 500], config({ condition: "anomaly", window: 14 })).state).toBe("firing");
  });

  it("treats the threshold itself as ok: above is strictly above, below strictly below", () => {
    expect(evaluateAlert([10], config({ condition: "above", threshold: 10 })).state).toBe("ok");
    expect(evaluateAlert([10.5], config({ condition: "above", threshold: 10 })).state).toBe("firing");
    expect(evaluateAlert([10], config({ condition: "below", threshold: 10 })).state).toBe("ok");
    expect(evaluateAlert([9], config({ condition: "below", threshold: 10 })).state).toBe("firing");
  });

  it("has no data for a period without a value", () => {
    expect(evaluateAlert([3, null], config({ condition: "above", threshold: 0 })).state).toBe("no_data");
    expect(evaluateAlert([], config({ condition: "below", threshold: 0 })).state).toBe("no_data");
  });
});

describe("alert definitions", () => {
  it("requires a threshold for above and below, not for anomaly", () => {
    expect(alertConfigSchema.safeParse({ condition: "above" }).success).toBe(false);
    expect(alertConfigSchema.safeParse({ condition: "anomaly" }).success).toBe(true);
    expect(alertConfigSchema.safeParse({ condition: "anomaly", window: 2 }).success).toBe(false);
  });

  it("makes profile actions name their profile", () => {
    const base = { name: "a", reportId: "r", config: { condition: "above", threshold: 1 } };
    expect(alertInputSchema.safeParse({ ...base, actions: [{ type: "tag_profile", tag: "x" }] }).success).toBe(false);
    expect(alertInputSchema.safeParse({ ...base, actions: [{ type: "tag_profile", tag: "x", profileId: "ops" }] }).success).toBe(true);
  });

  it("runs actions only on the way into firing", () => {
    expect(firesActions("ok", "firing")).toBe(true);
    expect(firesActions("no_data", "firing")).toBe(true);
    expect(firesActions("firing", "firing")).toBe(false);
    expect(firesActions("firing", "ok")).toBe(false);
  });
});
