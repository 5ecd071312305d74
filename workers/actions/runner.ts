import { createHash } from "node:crypto";
import type pg from "pg";
import type { Registry } from "prom-client";
import type { ProfileRecord } from "../../src/core/events";
import { TOPIC } from "../../src/core/events";
import { NO_ACTIONS_HEADER, type Firing } from "../../src/core/pipeline";
import { triggeredRecordSchema, type ActionResultRecord, type AlertFiringRecord } from "../../src/contracts/records";
import { decodeAvro, encodeValue, isAvroRecord } from "../../src/contracts/wire/codec";
import type { AlertAction } from "../../src/core/alerts";
import type { TriggerAction } from "../../src/core/triggers";
import type { Logger } from "../../src/platform/logger";
import type { BatchContext, Bus, ProduceRecord, Subscription } from "../bus/types";
import { deadLetterCounter, isolatingBatchHandler } from "../poison";

export const actionsGroup = (prefix: string) => `${prefix}-actions`;

/** A webhook action becomes a durable delivery in Postgres; the dispatcher sends and retries it. */
export type EnqueueWebhook = (delivery: {
  deliveryId: string;
  endpointId: string;
  projectId: string;
  triggerId: string | null;
  payload: unknown;
}) => Promise<string>;

export interface ActionRunnerOptions {
  bus: Bus;
  groupPrefix: string;
  pool: pg.Pool;
  log: Logger;
  enqueueWebhook: EnqueueWebhook;
  /** Called after webhook deliveries were queued, so the dispatcher sends them now rather than at its next poll. */
  onWebhooksQueued?: () => void;
  metrics?: Registry;
}

/** `*` matches any run of characters; everything else is literal. */
export function topicMatches(pattern: string, topic: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return regex.test(topic);
}

const stableId = (prefix: string, ...parts: Array<string | number>) =>
  `${prefix}_${createHash("sha256").update(parts.join("\u0000")).digest("base64url").slice(0, 24)}`;

type FiringWithEvent = Firing & { event: NonNullable<Firing["event"]> };

/**
 * An in-app notification is an alert about something happening now, as in PostHog or Mixpanel,
 * whose imports of historical events alert nobody. So an event that reached the server this long
 * after it happened (an import, a backfill, a device offline for hours) notifies no one; its firing
 * log says why. Measured on the server's clock (`sts`), so a worker catching up after an outage
 * still notifies about live events.
 */
export const NOTIFY_MAX_LATENESS_MS = 60 * 60_000;

/** How late the event reached the server, when that is too late to notify; null otherwise. */
export function backfillLateness(event: { cts: number; sts: number }): number | null {
  const lateness = event.sts - event.cts;
  return lateness > NOTIFY_MAX_LATENESS_MS ? lateness : null;
}

function formatLateness(ms: number): string {
  const hours = ms / 3_600_000;
  return hours < 48 ? `${Math.floor(hours)} h` : `${Math.floor(hours / 24)} days`;
}

/** What a webhook receives and what kafka_publish sends: the firing without internal fields. */
export function firingPayload(firing: FiringWithEvent) {
  return {
    type: "trigger.fired",
    firing_id: firing.firing_id,
    project_id: firing.project_id,
    trigger: { id: firing.trigger_id, name: firing.trigger_name, version: firing.trigger_version },
    fired_at: new Date(firing.fired_at).toISOString(),
    event: {
      event_id: firing.event.event_id,
      event_name: firing.event.event_name,
      time: new Date(firing.event.cts).toISOString(),
      profile_id: firing.event.profile_id,
      props: firing.event.props,
      ctx: firing.event.ctx,
    },
    profile: firing.event.profile_id ? { profile_id: firing.event.profile_id, props: firing.event.profile_props } : null,
  };
}

/** What a webhook receives and what kafka_publish sends when a metric alert fires. */
export function alertFiringPayload(firing: AlertFiringRecord) {
  return {
    type: "alert.fired",
    firing_id: firing.firing_id,
    project_id: firing.project_id,
    alert: {
      id: firing.alert_id,
      name: firing.alert_name,
      report_id: firing.report_id,
      series: firing.series_label,
      condition: firing.condition,
      threshold: firing.threshold,
      k: firing.k,
      window: firing.window,
      interval: firing.interval,
    },
    period: { start: new Date(firing.period_start).toISOString(), label: firing.period_label },
    value: firing.value,
    median: firing.median,
    mad: firing.mad,
    detail: firing.detail,
    fired_at: new Date(firing.fired_at).toISOString(),
  };
}

/** A trigger firing or an alert firing, as the runner needs it: the two differ in payload and in whose profile they change. */
interface ActionJob {
  projectId: string;
  firingId: string;
  triggerId: string | null;
  actions: ReadonlyArray<TriggerAction | AlertAction>;
  payload: () => unknown;
  /** The Kafka key of what kafka_publish sends. */
  key: string;
  /** Why notifications are skipped (an event that arrived too late), or null. */
  notificationSkip: string | null;
  /** The profile a tag_profile / update_attribute action changes, or why there is none. */
  profileOf: (action: TriggerAction | AlertAction) => { profileId: string } | { skip: string };
  /** An alert's notification without a body says what happened. */
  defaultBody: string;
}

function triggerJob(firing: FiringWithEvent): ActionJob {
  const late = backfillLateness(firing.event);
  return {
    projectId: firing.project_id,
    firingId: firing.firing_id,
    triggerId: firing.trigger_id,
    actions: firing.actions,
    payload: () => firingPayload(firing),
    key: firing.profile_id ? `${firing.project_id}:${firing.profile_id}` : firing.firing_id,
    notificationSkip: late === null ? null : `the event arrived ${formatLateness(late)} after it happened; notifications are for live events`,
    profileOf: () => (firing.profile_id ? { profileId: firing.profile_id } : { skip: "the event has no profile_id" }),
    defaultBody: "",
  };
}

function alertJob(firing: AlertFiringRecord): ActionJob {
  return {
    projectId: firing.project_id,
    firingId: firing.firing_id,
    triggerId: null,
    actions: firing.actions,
    payload: () => alertFiringPayload(firing),
    key: `${firing.project_id}:${firing.alert_id}`,
    notificationSkip: null,
    // An alert has no event profile: its profile actions name theirs (src/core/alerts.ts).
    profileOf: (action) => ("profileId" in action ? { profileId: action.profileId } : { skip: "the action names no profile" }),
    defaultBody: `${firing.alert_name}: ${firing.detail} (${firing.period_label})`,
  };
}

/**
 * Runs the actions of every firing on `event.triggered`, a trigger's or a metric alert's. Each action is idempotent by an id derived
 * from the firing and the action's position, so a redelivered firing does nothing twice:
 * notifications are inserted with that id, profile changes go back to `event.raw` with it as
 * their event_id, and webhook deliveries are queued under it. Each action's outcome is produced
 * to `event.triggered` as an action_result, which the sink stores beside the trigger log.
 */
export function createActionBatchHandler(opts: ActionRunnerOptions): (batch: BatchContext) => Promise<void> {
  return async (batch) => {
    const jobs: ActionJob[] = [];
    for (const message of batch.messages) {
      if (message.headers[NO_ACTIONS_HEADER] === "1") continue; // most firings: nothing to run, nothing to parse
      if (isAvroRecord(message.bytes)) {
        // Written by the processor in Avro (src/contracts/wire): typed by its schema, no zod.
        const decoded = decodeAvro(message.bytes);
        if (!decoded.ok || decoded.kind !== "firing") continue; // the sink dead-letters what it cannot decode
        const firing = decoded.record;
        if (firing.result === "fired" && firing.actions.length > 0 && firing.event) jobs.push(triggerJob(firing as FiringWithEvent));
        continue;
      }
      let payload: unknown;
      try {
        payload = JSON.parse(message.value);
      } catch {
        continue; // the sink dead-letters what it cannot decode
      }
      const parsed = triggeredRecordSchema.safeParse(payload);
      // Action results (this runner's own) share the topic; only fired firings with actions are run.
      if (parsed.success && parsed.data.kind === "alert_firing") {
        if (parsed.data.actions.length > 0) jobs.push(alertJob(parsed.data));
        continue;
      }
      if (!parsed.success || parsed.data.kind !== "firing") continue;
      const firing = parsed.data;
      if (firing.result === "fired" && firing.actions.length > 0 && firing.event) jobs.push(triggerJob(firing as FiringWithEvent));
    }
    if (jobs.length === 0) return;

    const projectIds = [...new Set(jobs.map((job) => job.projectId))];
    const { rows: projects } = await opts.pool.query<{ id: string; kafka_topic_pattern: string }>(
      "SELECT id, kafka_topic_pattern FROM projects WHERE id = ANY($1::text[])",
      [projectIds],
    );
    const topicPattern = new Map(projects.map((project) => [project.id, project.kafka_topic_pattern]));

    const results: ActionResultRecord[] = [];
    const toRaw: ProduceRecord[] = [];
    const published: ProduceRecord[] = [];
    const notifications: Array<{ id: string; projectId: string; title: string; body: string }> = [];
    let webhooksQueued = 0;
    const now = Date.now();

    for (const job of jobs) {
      for (const [index, action] of job.actions.entries()) {
        const result = (status: ActionResultRecord["status"], detail: string) =>
          results.push({
            kind: "action_result",
            project_id: job.projectId,
            firing_id: job.firingId,
            action_index: index,
            action_type: action.type,
            status,
            detail,
            at: now,
          });
        const actionId = stableId("act", job.firingId, index);
        switch (action.type) {
          case "notification": {
            if (job.notificationSkip !== null) {
              result("skipped", job.notificationSkip);
              break;
            }
            notifications.push({ id: actionId, projectId: job.projectId, title: action.title, body: action.body || job.defaultBody });
            result("succeeded", "notification stored");
            break;
          }
          case "tag_profile":
          case "update_attribute": {
            const target = job.profileOf(action);
            if ("skip" in target) {
              result("skipped", target.skip);
              break;
            }
            toRaw.push(profileChangeOf(job.projectId, target.profileId, action, actionId));
            result("succeeded", action.type === "tag_profile" ? `tag ${action.tag} added` : `${action.attribute} set`);
            break;
          }
          case "kafka_publish": {
            const pattern = topicPattern.get(job.projectId) ?? "prism.*";
            if (!topicMatches(pattern, action.topic)) {
              result("failed", `topic ${action.topic} does not match the project's allowed pattern ${pattern}`);
              break;
            }
            published.push({
              topic: action.topic,
              key: job.key,
              value: JSON.stringify(job.payload()),
              headers: { "prism-firing-id": job.firingId },
            });
            result("succeeded", `published to ${action.topic}`);
            break;
          }
          case "webhook": {
            const outcome = await opts.enqueueWebhook({
              deliveryId: stableId("msg", job.firingId, index),
              endpointId: action.endpointId,
              projectId: job.projectId,
              triggerId: job.triggerId,
              payload: job.payload(),
            });
            if (outcome === "queued" || outcome === "duplicate") webhooksQueued++;
            result(outcome === "queued" || outcome === "duplicate" ? "queued" : "failed", `webhook ${outcome.replace("_", " ")}`);
            break;
          }
        }
      }
    }

    if (notifications.length > 0) {
      await opts.pool.query(
        `INSERT INTO notifications (id, project_id, title, body, created_at)
         SELECT * , now() FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) ON CONFLICT (id) DO NOTHING`,
        [notifications.map((n) => n.id), notifications.map((n) => n.projectId), notifications.map((n) => n.title), notifications.map((n) => n.body)],
      );
    }
    if (published.length > 0) {
      try {
        await opts.bus.ensureTopics([...new Set(published.map((record) => record.topic))]);
        await opts.bus.produce(published);
      } catch (error) {
        // A topic that cannot be created or written is the action's failure, not the pipeline's.
        const reason = error instanceof Error ? error.message : String(error);
        opts.log.warn({ err: error }, "kafka_publish failed");
        for (const result of results)
          if (result.action_type === "kafka_publish" && result.status === "succeeded")
            Object.assign(result, { status: "failed", detail: reason.slice(0, 500) });
      }
    }
    await opts.bus.produce([
      ...toRaw,
      ...results.map((result) => ({ topic: TOPIC.triggered, key: result.firing_id, ...encodeValue(opts.bus.recordFormat, "action_result", result) })),
    ]);
    if (webhooksQueued > 0) opts.onWebhooksQueued?.();
  };
}

function profileChangeOf(
  projectId: string,
  profileId: string,
  action: Extract<TriggerAction | AlertAction, { type: "tag_profile" | "update_attribute" }>,
  actionId: string,
): ProduceRecord {
  const record: ProfileRecord = {
    type: "profile",
    event_id: actionId,
    project_id: projectId,
    profile_id: profileId,
    sts: Date.now(),
    set: action.type === "update_attribute" ? { [action.attribute]: action.value } : {},
    set_once: {},
    unset: [],
    ...(action.type === "tag_profile" ? { add_tags: [action.tag] } : {}),
  };
  return { topic: TOPIC.raw, key: `${projectId}:${profileId}`, value: JSON.stringify(record), headers: { "prism-source": "action" } };
}

export function startActionRunner(opts: ActionRunnerOptions): Promise<Subscription> {
  const handle = createActionBatchHandler(opts);
  return opts.bus.subscribe({
    groupId: actionsGroup(opts.groupPrefix),
    topics: [TOPIC.triggered],
    fromBeginning: true,
    maxBatchSize: 500,
    // A firing whose actions fail for it alone (a value Postgres refuses, say) is dead-lettered by poison.ts.
    handleBatch: isolatingBatchHandler({
      stage: "actions",
      handle: (batch) => handle(batch),
      produce: (records) => opts.bus.produce(records),
      counter: deadLetterCounter(opts.metrics),
      log: opts.log,
    }),
  });
}
