import { Gauge, type Registry } from "prom-client";
import type { Logger } from "../src/platform/logger";
import type { Bus } from "./bus/types";
import type { HealthCheck } from "./health";

export interface WatchedGroup {
  groupId: string;
  topics: string[];
}

interface Progress {
  committed: string;
  since: number;
}

/**
 * Samples each consumer group's lag, exports it per partition, and reports a group as stalled when
 * a partition has lag but its committed offset has not moved for `stallMs`: a consumer that
 * silently stops is otherwise only noticed when reports go stale.
 */
export function watchConsumers(opts: { bus: Bus; groups: WatchedGroup[]; metrics: Registry; log: Logger; intervalMs?: number; stallMs?: number }) {
  const stallMs = opts.stallMs ?? 60_000;
  const lagGauge = new Gauge({
    name: "consumer_lag",
    help: "Records not yet committed, per group and partition",
    labelNames: ["group", "topic", "partition"],
    registers: [opts.metrics],
  });
  const progress = new Map<string, Progress>();
  const stalled = new Map<string, string>();
  let lastError: string | null = null;

  async function sample(now = Date.now()): Promise<void> {
    for (const group of opts.groups) {
      const lags = await opts.bus.lag(group.groupId, group.topics);
      for (const partition of lags) {
        const id = `${group.groupId}/${partition.topic}/${partition.partition}`;
        lagGauge.set({ group: group.groupId, topic: partition.topic, partition: String(partition.partition) }, partition.lag);
        const previous = progress.get(id);
        if (!previous || previous.committed !== partition.committed || partition.lag === 0) {
          progress.set(id, { committed: partition.committed, since: now });
          stalled.delete(id);
        } else if (now - previous.since >= stallMs) {
          if (!stalled.has(id))
            opts.log.error({ group: group.groupId, topic: partition.topic, partition: partition.partition, lag: partition.lag }, "consumer makes no progress");
          stalled.set(id, `${id}: lag ${partition.lag}, no progress for ${Math.round((now - previous.since) / 1000)} s`);
        }
      }
    }
  }

  const timer = setInterval(() => {
    void sample()
      .then(() => {
        lastError = null;
      })
      .catch((error: unknown) => {
        lastError = error instanceof Error ? error.message : String(error);
      });
  }, opts.intervalMs ?? 10_000);
  timer.unref();

  const check: HealthCheck = async () => {
    if (stalled.size > 0) return { ok: false, detail: [...stalled.values()].join("; ") };
    return { ok: true, detail: lastError ? `lag unknown: ${lastError}` : `${progress.size} partitions progressing` };
  };

  return { sample, check, stop: () => clearInterval(timer) };
}
