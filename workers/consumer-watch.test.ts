import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../src/platform/logger";
import { createEmbeddedBus, type EmbeddedBus } from "./bus/embedded-bus";
import { watchConsumers } from "./consumer-watch";

describe("watchConsumers", () => {
  let bus: EmbeddedBus | undefined;
  afterEach(async () => {
    await bus?.close();
  });

  it("reports a consumer that has lag but stopped making progress, and recovers when it moves again", async () => {
    bus = await createEmbeddedBus({ db: ":memory:", partitions: { work: 1 }, pollIntervalMs: 20 });
    let release: (() => void) | undefined;
    let stuck = true;
    await bus.subscribe({
      groupId: "g",
      topics: ["work"],
      fromBeginning: true,
      handleBatch: () => (stuck ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve()),
    });
    await bus.produce([{ topic: "work", value: "a" }]);
    const metrics = new Registry();
    const watch = watchConsumers({
      bus,
      groups: [{ groupId: "g", topics: ["work"] }],
      metrics,
      log: createLogger("test", "silent"),
      intervalMs: 3_600_000,
      stallMs: 100,
    });
    try {
      let now = Date.now();
      await watch.sample(now);
      expect(await watch.check()).toMatchObject({ ok: true });
      await watch.sample((now += 150));
      expect(await watch.check()).toMatchObject({ ok: false, detail: expect.stringContaining("no progress") });
      expect(await metrics.getSingleMetricAsString("consumer_lag")).toContain('consumer_lag{group="g",topic="work",partition="0"} 1');

      stuck = false;
      release?.();
      for (let i = 0; i < 50 && (await bus.lag("g", ["work"]))[0]?.lag !== 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      await watch.sample((now += 150));
      expect(await watch.check()).toMatchObject({ ok: true });
    } finally {
      watch.stop();
    }
  });
});
