/**
 * The alert scheduler's periods (src/core/alerts.ts) are the report engine's buckets: checked
 * against the independent reference's local-time buckets (workers/query/reference.ts) in zones
 * with DST changes, half-hour offsets and a 30-minute DST shift.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evaluatePlan, periodAt, periodAfter, planAlert, ALERT_SETTLE_MS, MAX_CATCH_UP } from "../../src/core/alerts";
import { INTERVALS } from "../../src/core/reports";
import { bucketOf, buckets } from "../query/reference";

const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "America/Sao_Paulo", "Pacific/Chatham"];
const instant = fc.integer({ min: Date.parse("2023-01-01T00:00:00Z"), max: Date.parse("2027-12-31T00:00:00Z") });
const zone = fc.constantFrom(...ZONES);
const interval = fc.constantFrom(...INTERVALS);

describe("alert periods", () => {
  it("are the reference's buckets: the label, and every instant inside carries it", () => {
    fc.assert(
      fc.property(instant, zone, interval, (at, tz, unit) => {
        const period = periodAt(at, unit, tz);
        expect(period.label).toBe(bucketOf(at, unit, tz));
        expect(period.start).toBeLessThanOrEqual(at);
        expect(period.end).toBeGreaterThan(at);
        expect(bucketOf(period.start, unit, tz)).toBe(period.label);
        expect(bucketOf(period.end - 1, unit, tz)).toBe(period.label);
        expect(bucketOf(period.end, unit, tz)).not.toBe(period.label);
      }),
      { numRuns: 400 },
    );
  });

  it("step one bucket at a time, as the reference lists them", () => {
    fc.assert(
      fc.property(
        instant,
        zone,
        fc.constantFrom("hour" as const, "day" as const, "week" as const, "month" as const),
        fc.integer({ min: 1, max: 30 }),
        (at, tz, unit, n) => {
          const first = periodAt(at, unit, tz);
          const last = periodAfter(at, unit, tz, n - 1);
          const labels: string[] = [];
          for (let period = first; period.start <= last.start; period = periodAfter(period.start, unit, tz, 1)) labels.push(period.label);
          // The reference lists wall-clock buckets; a DST gap can skip a whole hour, which is no period.
          const listed = buckets(first.start, last.end, unit, tz);
          const carried = new Set<string>();
          if (unit === "hour") for (let t = first.start; t < last.end; t += 15 * 60_000) carried.add(bucketOf(t, unit, tz));
          expect(labels).toEqual(unit === "hour" ? listed.filter((label) => carried.has(label)) : listed);
          expect(labels).toHaveLength(n);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("plan complete periods only, after the last evaluated one, the baseline before them", () => {
    fc.assert(
      fc.property(
        instant,
        zone,
        interval,
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 3, max: 20 }),
        fc.boolean(),
        (now, tz, unit, missed, window, anomaly) => {
          const lastEvaluated = periodAfter(now - ALERT_SETTLE_MS, unit, tz, -1 - missed).start;
          const plan = planAlert({ interval: unit, condition: anomaly ? "anomaly" : "above", window, lastEvaluatedPeriod: lastEvaluated }, now, tz)!;
          expect(plan.due).toHaveLength(Math.min(missed, MAX_CATCH_UP));
          for (const period of plan.due) {
            expect(period.end).toBeLessThanOrEqual(now - ALERT_SETTLE_MS);
            expect(period.start).toBeGreaterThan(lastEvaluated);
          }
          expect(plan.due.at(-1)!.end).toBe(periodAt(now - ALERT_SETTLE_MS, unit, tz).start);
          const from = Date.parse(plan.range.from);
          const to = Date.parse(plan.range.to);
          expect(plan.labels.slice(anomaly ? window : 0)).toEqual(plan.due.map((period) => period.label));
          // The periods are the reference's buckets, less those a DST gap leaves without an instant.
          const listed = buckets(from, to, unit, tz);
          expect(listed.filter((label) => plan.labels.includes(label))).toEqual(plan.labels);
          if (unit === "minute" || unit === "hour") {
            const carried = new Set<string>();
            for (let t = from; t < to; t += 60_000) carried.add(bucketOf(t, unit, tz));
            expect([...carried]).toEqual(plan.labels);
          }
          // Nothing new until the next period is complete.
          const caughtUp = { interval: unit, condition: "above" as const, window, lastEvaluatedPeriod: plan.due.at(-1)!.start };
          expect(planAlert(caughtUp, now, tz)).toBeNull();
        },
      ),
      { numRuns: 200 },
    );
  });

  it("leave the buckets a DST gap adds out of an anomaly's baseline (Chatham skips 02:45-03:44 on 2023-09-24)", () => {
    const tz = "Pacific/Chatham";
    // 03:45 local (14:00Z) is the first minute after the gap; it is complete once 14:01Z has settled.
    const now = Date.parse("2023-09-23T14:01:30Z") + ALERT_SETTLE_MS;
    const plan = planAlert({ interval: "minute", condition: "anomaly", window: 5, lastEvaluatedPeriod: null }, now, tz)!;
    expect(plan.due.map((period) => period.label)).toEqual(["2023-09-24T03:45"]);
    expect(plan.labels).toEqual(["2023-09-24T02:40", "2023-09-24T02:41", "2023-09-24T02:42", "2023-09-24T02:43", "2023-09-24T02:44", "2023-09-24T03:45"]);
    // What the report engine answers: every wall-clock minute, the skipped ones empty.
    const listed = buckets(Date.parse(plan.range.from), Date.parse(plan.range.to), "minute", tz);
    expect(listed).toHaveLength(66);
    const values = listed.map((label) => (plan.labels.includes(label) ? 10 : 0));
    const [evaluation] = evaluatePlan(plan, listed, values, { condition: "anomaly", threshold: null, k: 3, window: 5 });
    expect(evaluation).toMatchObject({ state: "ok", value: 10, median: 10 });
  });

  it("start a new alert with the latest complete period", () => {
    const now = Date.parse("2026-03-29T01:30:00Z"); // Berlin moved its clocks at 01:00 UTC that night
    const plan = planAlert({ interval: "hour", condition: "above", window: 3, lastEvaluatedPeriod: null }, now, "Europe/Berlin")!;
    expect(plan.due.map((period) => period.label)).toEqual(["2026-03-29T01:00"]);
    const daily = planAlert({ interval: "day", condition: "anomaly", window: 3, lastEvaluatedPeriod: null }, now, "Europe/Berlin")!;
    expect(daily.due.map((period) => period.label)).toEqual(["2026-03-28T00:00"]);
    expect(daily.range).toEqual({ from: "2026-03-24T23:00:00.000Z", to: "2026-03-28T23:00:00.000Z" });
  });
});
