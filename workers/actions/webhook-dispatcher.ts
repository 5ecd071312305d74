import { Counter, Histogram, type Registry } from "prom-client";
import { z } from "zod";
import type { PrismaClient } from "../../src/generated/prisma/client";
import { WEBHOOK_DELIVERY_POLICY } from "../../src/core/webhooks";
import type { Logger } from "../../src/platform/logger";
import type { ProduceRecord } from "../bus/types";
import { consumerDeadLetter, deadLetterCounter, errorText, isolatePoison, reasonOf } from "../poison";
import { signWebhook } from "./webhook-signing";
import { AllowList, sendWebhook, type AttemptOutcome, type Resolver } from "./webhook-send";

/**
 * Durable webhook delivery in Postgres.
 *
 * Delivery guarantee: at least once per delivery id. A delivery row is claimed by moving its
 * `next_attempt_at` a lease into the future (rows picked with FOR UPDATE SKIP LOCKED, so several
 * workers never claim the same row); if the worker dies mid-attempt the lease runs out and another
 * worker sends it again. Receivers deduplicate on the `webhook-id` header, which is the delivery id
 * on every attempt.
 */

export type EnqueueOutcome = "queued" | "duplicate" | "endpoint_missing" | "endpoint_disabled";

export interface WebhookDeliveryRequest {
  /** msg_…, derived from the firing, so a redelivered firing is not sent twice. */
  deliveryId: string;
  endpointId: string;
  projectId: string;
  triggerId: string | null;
  payload: unknown;
}

const deliveryRequestSchema = z.strictObject({
  deliveryId: z.string().min(1).max(64),
  endpointId: z.string().min(1).max(64),
  projectId: z.string().min(1).max(64),
  triggerId: z.string().min(1).max(64).nullable(),
  payload: z.json(),
});

/**
 * Queues a delivery, idempotent by `deliveryId`. The endpoint must belong to `projectId`. For a
 * disabled endpoint the delivery is recorded as failed (so it shows in the endpoint's log and can
 * be retried after re-enabling) and nothing is sent.
 */
export async function enqueueWebhookDelivery(db: PrismaClient, request: WebhookDeliveryRequest): Promise<EnqueueOutcome> {
  const d = deliveryRequestSchema.parse(request);
  const endpoint = await db.webhookEndpoint.findFirst({ where: { id: d.endpointId, projectId: d.projectId }, select: { enabled: true } });
  if (!endpoint) return "endpoint_missing";
  const rows = await db.$executeRaw`
    INSERT INTO webhook_deliveries (id, endpoint_id, project_id, trigger_id, payload, status, last_error, next_attempt_at, created_at, updated_at)
    VALUES (${d.deliveryId}, ${d.endpointId}, ${d.projectId}, ${d.triggerId}, ${JSON.stringify(d.payload)}::jsonb,
            ${endpoint.enabled ? "pending" : "failed"}, ${endpoint.enabled ? null : "not sent: the endpoint is disabled"},
            now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
    ON CONFLICT (id) DO NOTHING`;
  if (rows === 0) return "duplicate";
  return endpoint.enabled ? "queued" : "endpoint_disabled";
}

export interface WebhookDispatcherOptions {
  db: PrismaClient;
  log: Logger;
  /** WEBHOOK_ALLOW_HOSTS: host names, IPs or CIDRs that may be called although private. */
  allowHosts: readonly string[];
  /** Attempts in flight at once (default 8). */
  concurrency?: number;
  /** How often to look for due retries when nothing wakes the dispatcher (default 1000 ms). */
  pollIntervalMs?: number;
  metrics?: Registry;
  /** Overrides for tests; the defaults are WEBHOOK_DELIVERY_POLICY. */
  retryDelaysMs?: readonly number[];
  timeoutMs?: number;
  disableAfterFailedDeliveries?: number;
  /** How long a claimed delivery stays invisible to other workers (default 60 s, well above the timeout). */
  leaseMs?: number;
  /** Finished deliveries (and their attempts) older than this are deleted, checked hourly (default 30 days). */
  retainDays?: number;
  resolve?: Resolver;
  /** Makes a dead letter durable on event.dlq (the bus's produce); without it a poison delivery only fails. */
  deadLetter?: (record: ProduceRecord) => Promise<unknown>;
}

/** The origin "topic" of a webhook dead letter: the Postgres queue, the delivery id standing for the offset. */
export const WEBHOOK_DELIVERIES = "webhook_deliveries";

export interface WebhookDispatcher {
  stop(): Promise<void>;
  /** Look for due deliveries now, e.g. right after enqueueing. */
  wake(): void;
}

interface ClaimedDelivery {
  id: string;
  endpoint_id: string;
  project_id: string;
  payload: unknown;
  attempts: number;
}

/** The pause before attempt `attempt + 1`, with ±20 % jitter so retries of one outage spread out. */
export function retryDelay(delays: readonly number[], attemptsMade: number, random: () => number = Math.random): number | null {
  const base = delays[attemptsMade - 1];
  if (base === undefined) return null;
  return Math.round(base * (0.8 + 0.4 * random()));
}

function dispatcherMetrics(registry: Registry | undefined) {
  if (!registry) return null;
  const existing = registry.getSingleMetric("webhook_deliveries_total");
  if (existing) {
    return {
      attempts: existing as Counter<"result">,
      latency: registry.getSingleMetric("webhook_delivery_latency_seconds") as Histogram,
    };
  }
  return {
    attempts: new Counter({
      name: "webhook_deliveries_total",
      help: "Webhook delivery attempts by result: delivered, retrying, failed (gave up), refused (address policy), gone (410)",
      labelNames: ["result"],
      registers: [registry],
    }),
    latency: new Histogram({
      name: "webhook_delivery_latency_seconds",
      help: "Time from sending a webhook to its full response",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}

export function startWebhookDispatcher(opts: WebhookDispatcherOptions): WebhookDispatcher {
  const context = dispatcherContext(opts);
  const concurrency = opts.concurrency ?? 8;
  const pause = new WakeablePause(opts.pollIntervalMs ?? 1000);
  const pruneFinished = finishedPruner(opts.db, opts.log, opts.retainDays ?? 30);
  const inFlight = new Set<Promise<void>>();
  let stopped = false;

  function track(delivery: ClaimedDelivery) {
    const work = attemptOrDeadLetter(context, delivery).finally(() => {
      inFlight.delete(work);
      pause.wake(); // a slot is free, and more may be due
    });
    inFlight.add(work);
  }

  /** Claims as many due deliveries as there are free slots; true when it filled them all. */
  async function claimFree(): Promise<boolean> {
    const free = concurrency - inFlight.size;
    if (free <= 0) return false;
    try {
      const claimed = await claimDue(opts.db, context.leaseSeconds, free);
      for (const delivery of claimed) track(delivery);
      return claimed.length === free;
    } catch (error) {
      opts.log.warn({ err: error }, "could not claim webhook deliveries");
      return false;
    }
  }

  async function loop() {
    while (!stopped) {
      pause.reset();
      await pruneFinished();
      const claimedFull = await claimFree();
      if (stopped) break;
      if (claimedFull && concurrency - inFlight.size > 0) continue;
      await pause.wait();
    }
  }

  const running = loop();
  return {
    wake: () => pause.wake(),
    async stop() {
      stopped = true;
      pause.wake();
      await running;
      await Promise.allSettled([...inFlight]);
    },
  };
}

/** What an attempt needs, resolved once from the options. */
interface DispatcherContext {
  db: PrismaClient;
  log: Logger;
  allow: AllowList;
  resolve: Resolver | undefined;
  retryDelays: readonly number[];
  maxAttempts: number;
  timeoutMs: number;
  disableAfter: number;
  leaseSeconds: number;
  metrics: ReturnType<typeof dispatcherMetrics>;
  deadLettered: ReturnType<typeof deadLetterCounter>;
  deadLetter: WebhookDispatcherOptions["deadLetter"];
}

function dispatcherContext(opts: WebhookDispatcherOptions): DispatcherContext {
  const retryDelays = opts.retryDelaysMs ?? WEBHOOK_DELIVERY_POLICY.retryDelaysMs;
  return {
    db: opts.db,
    log: opts.log,
    allow: new AllowList(opts.allowHosts),
    resolve: opts.resolve,
    retryDelays,
    maxAttempts: retryDelays.length + 1,
    timeoutMs: opts.timeoutMs ?? WEBHOOK_DELIVERY_POLICY.timeoutMs,
    disableAfter: opts.disableAfterFailedDeliveries ?? WEBHOOK_DELIVERY_POLICY.disableAfterFailedDeliveries,
    leaseSeconds: (opts.leaseMs ?? 60_000) / 1000,
    metrics: dispatcherMetrics(opts.metrics),
    deadLettered: deadLetterCounter(opts.metrics),
    deadLetter: opts.deadLetter,
  };
}

/**
 * The loop's sleep between polls: `wait()` resolves after the poll interval or at the next
 * `wake()`, and right away when woken since the last `reset()` (a wake while claiming is not lost).
 */
class WakeablePause {
  private woken = false;
  private wakeUp: (() => void) | null = null;

  constructor(private readonly intervalMs: number) {}

  reset(): void {
    this.woken = false;
  }

  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  async wait(): Promise<void> {
    if (this.woken) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.intervalMs);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeUp = null;
  }
}

/** Moves up to `limit` due deliveries a lease into the future and answers them. */
async function claimDue(db: PrismaClient, leaseSeconds: number, limit: number): Promise<ClaimedDelivery[]> {
  return db.$queryRaw<ClaimedDelivery[]>`
    UPDATE webhook_deliveries AS d
       SET next_attempt_at = (now() AT TIME ZONE 'UTC') + make_interval(secs => ${leaseSeconds}::double precision),
           updated_at = now() AT TIME ZONE 'UTC'
     WHERE d.id IN (SELECT id FROM webhook_deliveries
                     WHERE status = 'pending' AND next_attempt_at <= now() AT TIME ZONE 'UTC'
                     ORDER BY next_attempt_at
                     LIMIT ${limit}
                     FOR UPDATE SKIP LOCKED)
    RETURNING d.id, d.endpoint_id, d.project_id, d.payload, d.attempts`;
}

/** One attempt; a delivery whose attempt keeps failing to be recorded becomes a dead letter. Never rejects. */
async function attemptOrDeadLetter(context: DispatcherContext, delivery: ClaimedDelivery): Promise<void> {
  await isolatePoison([delivery], {
    handle: ([claimed]) => attempt(context, claimed!),
    deadLetter: ([poisoned]) => deadLetterDelivery(context, delivery, poisoned!.error),
  }).catch((error: unknown) =>
    context.log.error({ err: error, deliveryId: delivery.id }, "webhook attempt could not be recorded; it is retried when its lease runs out"),
  );
}

async function attempt(context: DispatcherContext, delivery: ClaimedDelivery): Promise<void> {
  const { db } = context;
  const endpoint = await db.webhookEndpoint.findUnique({ where: { id: delivery.endpoint_id }, select: { id: true, url: true, secret: true, enabled: true } });
  if (!endpoint) return; // deleted: its deliveries went with it (cascade)
  if (!endpoint.enabled) {
    await db.webhookDelivery.update({ where: { id: delivery.id }, data: { status: "failed", lastError: "not sent: the endpoint is disabled" } });
    return;
  }
  const number = delivery.attempts + 1;
  const outcome = await send(context, endpoint, delivery);
  const delay = outcome.retryable ? retryDelay(context.retryDelays, number) : null;
  const status = outcome.result === "delivered" ? "delivered" : delay !== null && number < context.maxAttempts ? "pending" : "failed";
  const gaveUp = status === "failed";

  // The attempt, the delivery's new state and the endpoint's health change together.
  await db.$transaction([
    db.webhookAttempt.create({
      data: { deliveryId: delivery.id, attempt: number, statusCode: outcome.statusCode, latencyMs: outcome.latencyMs, error: outcome.error },
    }),
    db.webhookDelivery.update({
      where: { id: delivery.id },
      data: {
        status,
        attempts: number,
        lastStatusCode: outcome.statusCode,
        lastError: outcome.error,
        ...(status === "pending" ? { nextAttemptAt: new Date(Date.now() + delay!) } : {}),
      },
    }),
    ...endpointHealthUpdates(db, context.disableAfter, endpoint.id, outcome, gaveUp),
  ]);

  const label =
    status === "delivered" ? "delivered" : outcome.result === "gone" || outcome.result === "refused" ? outcome.result : gaveUp ? "failed" : "retrying";
  context.metrics?.attempts.inc({ result: label });
  if (outcome.statusCode !== null) context.metrics?.latency.observe(outcome.latencyMs / 1000);
  context.log[status === "delivered" ? "debug" : "info"](
    { deliveryId: delivery.id, endpointId: endpoint.id, attempt: number, statusCode: outcome.statusCode, error: outcome.error, next: status },
    `webhook ${label}`,
  );
}

/** Signs and sends the payload; a send that throws is a retryable failure. */
async function send(context: DispatcherContext, endpoint: { url: string; secret: string }, delivery: ClaimedDelivery): Promise<AttemptOutcome> {
  const body = JSON.stringify(delivery.payload);
  try {
    return await sendWebhook({
      url: endpoint.url,
      body,
      headers: { ...signWebhook(endpoint.secret, delivery.id, Date.now() / 1000, body) },
      allow: context.allow,
      timeoutMs: context.timeoutMs,
      resolve: context.resolve,
    });
  } catch (error) {
    return { result: "failed", retryable: true, statusCode: null, error: `could not send: ${(error as Error).message}`, latencyMs: 0 };
  }
}

/** Success resets the run of failures; a 410, or `disableAfter` deliveries in a row that gave up, disable the endpoint. */
function endpointHealthUpdates(db: PrismaClient, disableAfter: number, endpointId: string, outcome: AttemptOutcome, gaveUp: boolean) {
  const now = new Date().toISOString();
  if (outcome.result === "delivered") {
    return [db.webhookEndpoint.updateMany({ where: { id: endpointId, consecutiveFailures: { not: 0 } }, data: { consecutiveFailures: 0 } })];
  }
  const updates = [];
  if (outcome.result === "gone") {
    updates.push(
      db.webhookEndpoint.updateMany({
        where: { id: endpointId, enabled: true },
        data: { enabled: false, disabledReason: `Disabled automatically on ${now}: the endpoint answered 410 Gone.` },
      }),
    );
  }
  if (gaveUp) {
    updates.push(
      db.webhookEndpoint.updateMany({ where: { id: endpointId }, data: { consecutiveFailures: { increment: 1 } } }),
      db.webhookEndpoint.updateMany({
        where: { id: endpointId, enabled: true, consecutiveFailures: { gte: disableAfter } },
        data: {
          enabled: false,
          disabledReason:
            `Disabled automatically on ${now}: ${disableAfter} deliveries in a row failed every attempt. Last error: ${outcome.error ?? "unknown"}`.slice(
              0,
              1000,
            ),
        },
      }),
    );
  }
  return updates;
}

/**
 * A delivery whose attempt cannot even be recorded, for a reason of its own, would be claimed
 * again every lease forever: after poison.ts's few attempts it becomes a dead letter and fails.
 */
async function deadLetterDelivery(context: DispatcherContext, delivery: ClaimedDelivery, error: unknown): Promise<void> {
  const value = JSON.stringify({ project_id: delivery.project_id, delivery_id: delivery.id, endpoint_id: delivery.endpoint_id, payload: delivery.payload });
  await context.deadLetter?.(
    consumerDeadLetter({
      stage: "webhooks",
      message: { topic: WEBHOOK_DELIVERIES, partition: 0, offset: delivery.id, key: delivery.endpoint_id, value, headers: {} },
      error,
    }),
  );
  // eslint-disable-next-line no-control-regex -- Postgres text refuses NUL, which the error may quote
  const lastError = `dead-lettered: ${errorText(error)}`.replace(/\u0000/g, "").slice(0, 1000);
  await context.db.webhookDelivery.update({ where: { id: delivery.id }, data: { status: "failed", lastError } });
  context.deadLettered?.inc({ stage: "webhooks", reason: reasonOf(error) });
  context.log.warn({ deliveryId: delivery.id, err: error }, "a webhook delivery the dispatcher cannot handle went to event.dlq");
}

/** Keeps the delivery log bounded, checking at most hourly; pending deliveries are never pruned. */
function finishedPruner(db: PrismaClient, log: Logger, retainDays: number): () => Promise<void> {
  let prunedAt = 0;
  return async () => {
    if (Date.now() - prunedAt < 3_600_000) return;
    prunedAt = Date.now();
    try {
      const deleted = await db.$executeRaw`
        DELETE FROM webhook_deliveries
         WHERE status <> 'pending' AND updated_at < (now() AT TIME ZONE 'UTC') - make_interval(days => ${retainDays}::int)`;
      if (deleted > 0) log.info({ deleted, retainDays }, "pruned old webhook deliveries");
    } catch (error) {
      log.warn({ err: error }, "could not prune old webhook deliveries");
    }
  };
}
