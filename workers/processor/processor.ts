import type pg from "pg";
import { Counter, type Registry } from "prom-client";
import { TOPIC } from "../../src/core/events";
import type { Logger } from "../../src/platform/logger";
import type { BatchContext, Bus, Subscription } from "../bus/types";
import { IdentityStore, identityMetrics, type BatchIdentity } from "./identity";
import { deadLetterCounter, isolatingBatchHandler } from "../poison";
import type { RuleRegistry } from "./rule-registry";
import { ProfileStateStore } from "./state-store";
import { decodeBatch, dropSeen, processRecords, type BatchOutcome, type Deduplicated } from "./steps";
import { createUserAgentParser } from "./user-agent";

export const processorGroup = (prefix: string) => `${prefix}-processor`;

export interface ProcessorMetrics {
  eventsProcessed: Counter<"kind">;
  evaluations: Counter<"result">;
  deduplicated: Counter<"kind">;
  deadLettered?: Counter<"stage" | "reason">;
  merges?: Counter<"result">;
}

export function processorMetrics(registry: Registry): ProcessorMetrics {
  return {
    eventsProcessed: new Counter({ name: "events_processed_total", help: "Records handled by the processor", labelNames: ["kind"], registers: [registry] }),
    evaluations: new Counter({ name: "trigger_evaluations_total", help: "Rule evaluations by result", labelNames: ["result"], registers: [registry] }),
    deadLettered: deadLetterCounter(registry),
    merges: identityMetrics(registry),
    deduplicated: new Counter({
      name: "events_deduplicated_total",
      help: "Records dropped because their event_id was already handled within the idempotency window (a client resend)",
      labelNames: ["kind"],
      registers: [registry],
    }),
  };
}

export interface ProcessorOptions {
  bus: Bus;
  groupPrefix: string;
  pool: pg.Pool;
  rules: RuleRegistry;
  log: Logger;
  metrics?: ProcessorMetrics;
}

/**
 * Handles one batch of `event.raw`: updates profiles, enriches events, keeps windows, evaluates
 * rules, and produces to `event.enriched`, `event.triggered` and `event.dlq`. The outputs are made
 * durable first, then the profile state is saved, then (by the bus) the offsets are committed. A
 * crash at any point replays the batch against the state before it, giving the same outputs,
 * which the sink and the action runner de-duplicate by event_id and firing_id.
 *
 * A record whose event_id was handled before (an earlier batch within IDEMPOTENCY_WINDOW_MS, or
 * earlier in this batch) is dropped before windows and rules: a client resend is stored and fired
 * once. Resends carry the same key, so they reach the same partition, in order.
 */
export function createRawBatchHandler(opts: ProcessorOptions): (batch: BatchContext) => Promise<void> {
  const store = new ProfileStateStore(opts.pool);
  const identityStore = new IdentityStore(opts.pool);
  const parseUserAgent = createUserAgentParser();
  const rulesFor = (projectId: string) => opts.rules.forProject(projectId);

  return async (batch) => {
    const decoded = decodeBatch(batch.messages);
    const [identity, states, seen] = await Promise.all([
      identityStore.load(decoded.profiles),
      store.load(decoded.profiles),
      store.seen(decoded.idKeys.filter((key) => key !== null)),
    ]);
    // Merged ids are read and written as their persons: one more round trip only when the batch has some.
    const persons = identity.persons(decoded.profiles);
    if (persons.length > 0) for (const [key, state] of await store.load(persons)) states.set(key, state);
    const { handled, fresh, duplicates } = dropSeen(decoded, seen);
    const outcome = processRecords(handled, states, rulesFor, parseUserAgent, identity, opts.bus.recordFormat);
    // Outputs durable first, then state and seen ids together, then (by the bus) offsets.
    if (outcome.outputs.length > 0) await opts.bus.produce(outcome.outputs);
    if (identity.ops.length === 0) await store.save(outcome.changed, [...fresh]);
    else await saveWithIdentity(opts.pool, outcome, [...fresh], identity.ops);
    if (opts.metrics) countBatch(opts.metrics, decoded.decoded.length, duplicates, outcome);
    for (const result of identity.results) opts.metrics?.merges?.inc({ result });
  };
}

/** A batch that merged persons saves its state and its overrides in one transaction, so a crash keeps both or neither. */
async function saveWithIdentity(pool: pg.Pool, outcome: BatchOutcome, seenKeys: string[], ops: BatchIdentity["ops"]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await new ProfileStateStore(client).save(outcome.changed, seenKeys);
    await IdentityStore.save(client, ops);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

function countBatch(metrics: ProcessorMetrics, records: number, duplicates: Deduplicated["duplicates"], outcome: BatchOutcome): void {
  metrics.eventsProcessed.inc({ kind: "record" }, records);
  const { fired, quiet, failed } = outcome.evaluations;
  if (fired) metrics.evaluations.inc({ result: "fired" }, fired);
  if (quiet) metrics.evaluations.inc({ result: "not_fired" }, quiet);
  if (failed) metrics.evaluations.inc({ result: "error" }, failed);
  for (const reason of outcome.deadLettered) metrics.deadLettered?.inc({ stage: "processor", reason });
  if (duplicates.event) metrics.deduplicated.inc({ kind: "event" }, duplicates.event);
  if (duplicates.profile) metrics.deduplicated.inc({ kind: "profile" }, duplicates.profile);
}

const PRUNE_EVERY_MS = 3600_000;

export async function startProcessor(opts: ProcessorOptions): Promise<Subscription> {
  const subscription = await opts.bus.subscribe({
    groupId: processorGroup(opts.groupPrefix),
    topics: [TOPIC.raw],
    fromBeginning: true,
    maxBatchSize: 5000,
    concurrentPartitions: 4,
    // A record a later step cannot handle (a value Postgres refuses, a step throwing for it) is
    // isolated and dead-lettered by poison.ts instead of stalling the partition.
    handleBatch: isolatingBatchHandler({
      stage: "processor",
      handle: createRawBatchHandler(opts),
      produce: (records) => opts.bus.produce(records),
      counter: opts.metrics?.deadLettered,
      log: opts.log,
    }),
  });
  // Every processor prunes; the deletes are idempotent, so several at once only repeat work.
  const store = new ProfileStateStore(opts.pool);
  const prune = () =>
    store
      .pruneSeen()
      .then((deleted) => deleted > 0 && opts.log.info({ deleted }, "forgot event ids past the idempotency window"))
      .catch((error: unknown) => opts.log.warn({ err: error }, "pruning seen event ids failed; will retry at the next run"));
  const first = setTimeout(prune, 60_000);
  const timer = setInterval(prune, PRUNE_EVERY_MS);
  first.unref();
  timer.unref();
  return {
    assignments: () => subscription.assignments(),
    async stop(options) {
      clearTimeout(first);
      clearInterval(timer);
      await subscription.stop(options);
    },
  };
}
