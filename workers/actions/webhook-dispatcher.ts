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
  const { db, log } = opts;
  const concurrency = opts.concurrency ?? 8;
  const pollIntervalMs = opts.pollIntervalMs ?? 1000;
  const retryDelays = opts.retryDelaysMs ?? WEBHOOK_DELIVERY_POLICY.retryDelaysMs;
  const maxAttempts = retryDelays.length + 1;
  const timeoutMs = opts.timeoutMs ?? WEBHOOK_DELIVERY_POLICY.timeoutMs;
  const disableAfter = opts.disableAfterFailedDeliveries ?? WEBHOOK_DELIVERY_POLICY.disableAfterFailedDeliveries;
  const leaseSeconds = (opts.leaseMs ?? 60_000) / 1000;
  const allow = new AllowList(opts.allowHosts);
  const metrics = dispatcherMetrics(opts.metrics);
  const deadLettered = deadLetterCounter(opts.metrics);
  const retainDays = opts.retainDays ?? 30;
  let prunedAt = 0;

  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let wakeUp: (() => void) | null = null;
  let woken = false;
  const wake = () => {
    woken = true;
    wakeUp?.();
  };

  async function claim(limit: number): Promise<ClaimedDelivery[]> {
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

  async function attempt(delivery: ClaimedDelivery): Promise<void> {
    const endpoint = await db.webhookEndpoint.findUnique({ where: { id: delivery.endpoint_id }, select: { id: true, url: true, secret: true, enabled: true } });
    if (!endpoint) return; // deleted: its deliveries went with it (cascade)
    if (!endpoint.enabled) {
      await db.webhookDelivery.update({ where: { id: delivery.id }, data: { status: "failed", lastError: "not sent: the endpoint is disabled" } });
      return;
    }
    const number = delivery.attempts + 1;
    const body = JSON.stringify(delivery.payload);
    let outcome: AttemptOutcome;
    try {
      outcome = await sendWebhook({
        url: endpoint.url,
        body,
        headers: { ...signWebhook(endpoint.secret, delivery.id, Date.now() / 1000, body) },
        allow,
        timeoutMs,
        resolve: opts.resolve,
      });
    } catch (error) {
      outcome = { result: "failed", retryable: true, statusCode: null, error: `could not send: ${(error as Error).message}`, latencyMs: 0 };
    }
    const delay = outcome.retryable ? retryDelay(retryDelays, number) : null;
    const status = outcome.result === "delivered" ? "delivered" : delay !== null && number < maxAttempts ? "pending" : "failed";
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
      ...endpointHealthUpdates(endpoint.id, outcome, gaveUp),
    ]);

    const label =
      status === "delivered" ? "delivered" : outcome.result === "gone" || outcome.result === "refused" ? outcome.result : gaveUp ? "failed" : "retrying";
    metrics?.attempts.inc({ result: label });
    if (outcome.statusCode !== null) metrics?.latency.observe(outcome.latencyMs / 1000);
    log[status === "delivered" ? "debug" : "info"](
      { deliveryId: delivery.id, endpointId: endpoint.id, attempt: number, statusCode: outcome.statusCode, error: outcome.error, next: status },
      `webhook ${label}`,
    );
  }

  /** Success resets the run of failures; a 410, or `disableAfter` deliveries in a row that gave up, disable the endpoint. */
  function endpointHealthUpdates(endpointId: string, outcome: AttemptOutcome, gaveUp: boolean) {
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
  async function deadLetterDelivery(delivery: ClaimedDelivery, error: unknown): Promise<void> {
    const value = JSON.stringify({ project_id: delivery.project_id, delivery_id: delivery.id, endpoint_id: delivery.endpoint_id, payload: delivery.payload });
    await opts.deadLetter?.(
      consumerDeadLetter({
        stage: "webhooks",
        message: { topic: WEBHOOK_DELIVERIES, partition: 0, offset: delivery.id, key: delivery.endpoint_id, value, headers: {} },
        error,
      }),
    );
    // eslint-disable-next-line no-control-regex -- Postgres text refuses NUL, which the error may quote
    const lastError = `dead-lettered: ${errorText(error)}`.replace(/\u0000/g, "").slice(0, 1000);
    await db.webhookDelivery.update({ where: { id: delivery.id }, data: { status: "failed", lastError } });
    deadLettered?.inc({ stage: "webhooks", reason: reasonOf(error) });
    log.warn({ deliveryId: delivery.id, err: error }, "a webhook delivery the dispatcher cannot handle went to event.dlq");
  }

  function track(delivery: ClaimedDelivery) {
    const work = isolatePoison([delivery], {
      handle: ([claimed]) => attempt(claimed!),
      deadLetter: ([poisoned]) => deadLetterDelivery(delivery, poisoned!.error),
    })
      .then(() => undefined)
      .catch((error: unknown) =>
        log.error({ err: error, deliveryId: delivery.id }, "webhook attempt could not be recorded; it is retried when its lease runs out"),
      )
      .finally(() => {
        inFlight.delete(work);
        wake(); // a slot is free, and more may be due
      });
    inFlight.add(work);
  }

  /** Keeps the delivery log bounded; pending deliveries are never pruned. */
  async function pruneFinished() {
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
  }

  async function loop() {
    while (!stopped) {
      woken = false;
      await pruneFinished();
      let claimedFull = false;
      const free = concurrency - inFlight.size;
      if (free > 0) {
        try {
          const claimed = await claim(free);
          for (const delivery of claimed) track(delivery);
          claimedFull = claimed.length === free;
        } catch (error) {
          log.warn({ err: error }, "could not claim webhook deliveries");
        }
      }
      if (stopped) break;
      if (claimedFull && concurrency - inFlight.size > 0) continue;
      if (woken) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pollIntervalMs);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeUp = null;
    }
  }

  const running = loop();
  return {
    wake,
    async stop() {
      stopped = true;
      wakeUp?.();
      await running;
      await Promise.allSettled([...inFlight]);
    },
  };
}
