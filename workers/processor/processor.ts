import { createHash } from "node:crypto";
import type pg from "pg";
import { Counter, type Registry } from "prom-client";
import { rawRecordWireSchema, TOPIC, kafkaKeyOf, type InternalEvent, type JsonObject, type JsonValue, type ProfileRecord } from "../../src/core/events";
import { RESERVED_KEYS } from "../../src/core/storable";
import { NO_ACTIONS_HEADER, type EnrichedEvent, type Firing, type ProfileChange } from "../../src/core/pipeline";
import type { Logger } from "../../src/platform/logger";
import type { BatchContext, Bus, BusMessage, ProduceRecord, Subscription } from "../bus/types";
import { consumerDeadLetter, deadLetterCounter, isolatingBatchHandler, type PoisonReason } from "../poison";
import { type RuleRegistry, type ProjectRules } from "./rule-registry";
import { ProfileStateStore, seenKey, stateKey, type ProfileState } from "./state-store";
import { createUserAgentParser } from "./user-agent";
import { ProfileWindows } from "./windows";

export const processorGroup = (prefix: string) => `${prefix}-processor`;

export interface ProcessorMetrics {
  eventsProcessed: Counter<"kind">;
  evaluations: Counter<"result">;
  deduplicated: Counter<"kind">;
  deadLettered?: Counter<"stage" | "reason">;
}

export function processorMetrics(registry: Registry): ProcessorMetrics {
  return {
    eventsProcessed: new Counter({ name: "events_processed_total", help: "Records handled by the processor", labelNames: ["kind"], registers: [registry] }),
    evaluations: new Counter({ name: "trigger_evaluations_total", help: "Rule evaluations by result", labelNames: ["result"], registers: [registry] }),
    deadLettered: deadLetterCounter(registry),
    deduplicated: new Counter({
      name: "events_deduplicated_total",
      help: "Records dropped because their event_id was already handled within the idempotency window (a client resend)",
      labelNames: ["kind"],
      registers: [registry],
    }),
  };
}

/** Sets an own property even for keys that plain assignment would treat specially. */
function setOwn(target: JsonObject, key: string, value: JsonValue): void {
  if (RESERVED_KEYS.has(key)) return;
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** set overwrites, set_once fills only missing keys, unset removes, add_tags adds to `tags` once. */
export function applyProfileRecord(props: JsonObject, record: ProfileRecord): JsonObject {
  const next: JsonObject = { ...props };
  for (const [key, value] of Object.entries(record.set)) setOwn(next, key, value);
  for (const [key, value] of Object.entries(record.set_once)) if (!Object.hasOwn(next, key)) setOwn(next, key, value);
  for (const key of record.unset) delete next[key];
  if (record.add_tags && record.add_tags.length > 0) {
    const current = Array.isArray(next.tags) ? next.tags.filter((tag): tag is string => typeof tag === "string") : [];
    const tags = [...current];
    for (const tag of record.add_tags) if (!tags.includes(tag)) tags.push(tag);
    setOwn(next, "tags", tags);
  }
  return next;
}

/** Derived from trigger and event, so re-evaluating a redelivered event yields the same firing. */
export function firingIdOf(triggerId: string, eventId: string): string {
  return `fir_${createHash("sha256").update(`${triggerId}\u0000${eventId}`).digest("base64url").slice(0, 22)}`;
}

type Decoded =
  | { kind: "record"; message: BusMessage; record: InternalEvent | ProfileRecord }
  | { kind: "dead"; message: BusMessage; letter: ProduceRecord; reason: PoisonReason };

/** Records that cannot be decoded are dead-lettered inline, beside the batch's outputs, without isolation. */
function decode(message: BusMessage): Decoded {
  let payload: unknown;
  try {
    payload = JSON.parse(message.value);
  } catch {
    return { kind: "dead", message, letter: consumerDeadLetter({ stage: "processor", message, error: "record is not JSON" }), reason: "not_json" };
  }
  const parsed = rawRecordWireSchema.safeParse(payload);
  if (parsed.success) return { kind: "record", message, record: parsed.data };
  const issue = parsed.error.issues[0];
  const error = `record does not match the internal form: ${issue ? `${issue.path.join(".") || "(root)"} ${issue.message}` : "invalid"}`;
  return { kind: "dead", message, letter: consumerDeadLetter({ stage: "processor", message, error }), reason: "invalid" };
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
  const parseUserAgent = createUserAgentParser();

  return async (batch) => {
    const decoded = batch.messages.map(decode);
    const keys = new Map<string, { projectId: string; profileId: string }>();
    for (const item of decoded) {
      if (item.kind === "record" && item.record.profile_id) {
        keys.set(stateKey(item.record.project_id, item.record.profile_id), { projectId: item.record.project_id, profileId: item.record.profile_id });
      }
    }
    const idKeys = decoded.map((item) => (item.kind === "record" ? seenKey(item.record) : null));
    const [states, seen] = await Promise.all([store.load([...keys.values()]), store.seen(idKeys.filter((key) => key !== null))]);
    const fresh = new Set<string>();
    let duplicateEvents = 0;
    let duplicateProfiles = 0;
    const handled = decoded.filter((item, index) => {
      const idKey = idKeys[index];
      if (!idKey || item.kind !== "record") return true;
      if (seen.has(idKey) || fresh.has(idKey)) {
        if (item.record.type === "event") duplicateEvents++;
        else duplicateProfiles++;
        return false;
      }
      fresh.add(idKey);
      return true;
    });
    const windows = new Map<string, ProfileWindows>();
    const changed = new Map<string, ProfileState>();
    const touchedRules = new Map<string, ProjectRules>();
    const outputs: ProduceRecord[] = [];
    let evaluationsFired = 0;
    let evaluationsQuiet = 0;
    let evaluationsFailed = 0;
    const deadLettered: PoisonReason[] = [];

    for (const item of handled) {
      if (item.kind === "dead") {
        outputs.push(item.letter);
        deadLettered.push(item.reason);
        continue;
      }
      const { record } = item;
      const headers = item.message.headers;
      if (record.type === "profile") {
        const key = stateKey(record.project_id, record.profile_id);
        const state = states.get(key) ?? newState(record.project_id, record.profile_id, record.sts);
        state.props = applyProfileRecord(state.props, record);
        state.updatedAt = Math.max(state.updatedAt, record.sts);
        states.set(key, state);
        changed.set(key, state);
        const change: ProfileChange = {
          type: "profile",
          project_id: record.project_id,
          profile_id: record.profile_id,
          change_id: record.event_id,
          changed_at: record.sts,
          set: record.set,
          set_once: record.set_once,
          unset: record.unset,
          props: state.props,
          created_at: state.createdAt,
          updated_at: state.updatedAt,
        };
        outputs.push({ topic: TOPIC.enriched, key: `${record.project_id}:${record.profile_id}`, value: JSON.stringify(change), headers });
        continue;
      }

      const event = record;
      const key = event.profile_id ? stateKey(event.project_id, event.profile_id) : null;
      const state = key ? states.get(key) : undefined;
      const userAgent = parseUserAgent(event.ctx.user_agent);
      const enriched: EnrichedEvent = {
        ...event,
        profile_props: state?.props ?? {},
        browser: userAgent.browser,
        os: event.ctx.os ?? userAgent.os,
        device_type: event.ctx.device_type ?? userAgent.device_type,
      };
      outputs.push({ topic: TOPIC.enriched, key: kafkaKeyOf(event), value: JSON.stringify(enriched), headers });

      const rules = opts.rules.forProject(event.project_id);
      if (rules.triggers.length === 0 && rules.windowProps.size === 0) continue;

      let profileWindows: ProfileWindows | undefined;
      if (key && event.profile_id) {
        profileWindows = windows.get(key);
        if (!profileWindows) {
          profileWindows = new ProfileWindows(state?.windows ?? []);
          windows.set(key, profileWindows);
        }
        const wanted = rules.windowProps.get(event.event_name);
        if (wanted) {
          const values: Record<string, number | string> = {};
          for (const prop of wanted) {
            const value = event.props[prop];
            if (typeof value === "number" || typeof value === "string") values[prop] = value;
          }
          if (profileWindows.add({ id: event.event_id, n: event.event_name, t: event.cts, ...(wanted.size > 0 ? { v: values } : {}) })) {
            const owner = state ?? newState(event.project_id, event.profile_id, event.sts);
            states.set(key, owner);
            changed.set(key, owner);
            touchedRules.set(key, rules);
          }
        }
      }

      const reader = (profileWindows ?? EMPTY_WINDOWS).reader({ t: event.cts, id: event.event_id });
      const input = {
        event: { id: event.event_id, name: event.event_name, time: event.cts, profile_id: event.profile_id, props: event.props, ctx: event.ctx },
        profile: { id: event.profile_id, props: state?.props ?? {} },
      };
      const applicable = rules.triggersFor(event.event_name);
      // The others are false for this event name without being run (CompiledRule.eventNames).
      evaluationsQuiet += rules.triggers.length - applicable.length;
      for (const trigger of applicable) {
        let fired: boolean;
        let error: string | null = null;
        try {
          fired = trigger.rule.evaluate(input, reader);
        } catch (caught) {
          fired = false;
          error = caught instanceof Error ? caught.message : String(caught);
        }
        if (error === null && !fired) {
          evaluationsQuiet++;
          continue;
        }
        if (error === null && trigger.cooldownMs > 0 && key) {
          const owner = states.get(key) ?? newState(event.project_id, event.profile_id!, event.sts);
          const last = owner.cooldowns[trigger.id];
          // The same event may be evaluated again after a crash; it keeps its firing.
          if (last && last.id !== event.event_id && event.cts < last.t + trigger.cooldownMs && event.cts >= last.t) {
            evaluationsQuiet++;
            continue;
          }
          owner.cooldowns = { ...owner.cooldowns, [trigger.id]: { t: event.cts, id: event.event_id } };
          states.set(key, owner);
          changed.set(key, owner);
        }
        if (error === null) evaluationsFired++;
        else evaluationsFailed++;
        const firing: Firing = {
          firing_id: firingIdOf(trigger.id, event.event_id),
          project_id: event.project_id,
          trigger_id: trigger.id,
          trigger_version: trigger.version,
          trigger_name: trigger.name,
          event_id: event.event_id,
          event_name: event.event_name,
          profile_id: event.profile_id,
          fired_at: event.sts,
          event_ts: event.cts,
          result: error === null ? "fired" : "error",
          error,
          actions: error === null ? trigger.actions : [],
          ...(error === null && trigger.actions.length > 0 ? { event: enriched } : {}),
        };
        outputs.push({
          topic: TOPIC.triggered,
          key: kafkaKeyOf(event),
          value: JSON.stringify(firing),
          headers: firing.actions.length > 0 ? headers : { ...headers, [NO_ACTIONS_HEADER]: "1" },
        });
      }
    }

    for (const [key, profileWindows] of windows) {
      const state = changed.get(key);
      if (!state) continue;
      profileWindows.prune(touchedRules.get(key)?.maxWindowMs ?? opts.rules.forProject(state.projectId).maxWindowMs);
      state.windows = profileWindows.toJSON();
    }

    if (outputs.length > 0) await opts.bus.produce(outputs);
    await store.save([...changed.values()], [...fresh]);

    if (opts.metrics) {
      opts.metrics.eventsProcessed.inc({ kind: "record" }, decoded.length);
      if (evaluationsFired) opts.metrics.evaluations.inc({ result: "fired" }, evaluationsFired);
      if (evaluationsQuiet) opts.metrics.evaluations.inc({ result: "not_fired" }, evaluationsQuiet);
      if (evaluationsFailed) opts.metrics.evaluations.inc({ result: "error" }, evaluationsFailed);
      for (const reason of deadLettered) opts.metrics.deadLettered?.inc({ stage: "processor", reason });
      if (duplicateEvents) opts.metrics.deduplicated.inc({ kind: "event" }, duplicateEvents);
      if (duplicateProfiles) opts.metrics.deduplicated.inc({ kind: "profile" }, duplicateProfiles);
    }
  };
}

const EMPTY_WINDOWS = new ProfileWindows([]);

function newState(projectId: string, profileId: string, at: number): ProfileState {
  return { projectId, profileId, props: {}, windows: [], cooldowns: {}, createdAt: at, updatedAt: at };
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
