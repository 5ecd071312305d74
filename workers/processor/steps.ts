/**
 * The raw batch handler's steps that need neither Kafka nor Postgres: decode, drop resends, and
 * turn the handled records into outputs and changed profile states. processor.ts runs them between
 * its loads and saves; the order of the outputs is the order of the records.
 */
import { hash } from "node:crypto";
import { rawRecordWireSchema, TOPIC, kafkaKeyOf, type InternalEvent, type JsonObject, type JsonValue, type ProfileRecord } from "../../src/core/events";
import { evaluateEvent, type TriggerOutcome } from "../../src/core/processing";
import { RESERVED_KEYS } from "../../src/core/storable";
import type { FiringRecord } from "../../src/contracts/records";
import { encodeValue, type RecordFormat } from "../../src/contracts/wire/codec";
import { NO_ACTIONS_HEADER, type EnrichedEvent, type ProfileChange } from "../../src/core/pipeline";
import type { PersonMerge } from "../../src/core/identity";
import type { BusMessage, ProduceRecord } from "../bus/types";
import { consumerDeadLetter, type PoisonReason } from "../poison";
import { SAME_PERSON, type PersonResolver } from "./identity";
import type { LoadedTrigger, ProjectRules } from "./rule-registry";
import { seenKey, stateKey, type ProfileState } from "./state-store";
import type { ParsedUserAgent } from "./user-agent";
import { ProfileWindows } from "./windows";

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
  return `fir_${hash("sha256", `${triggerId}\u0000${eventId}`, "base64url").slice(0, 22)}`;
}

// ---------------------------------------------------------------------------------------------
// Decode and de-duplicate

export type Decoded =
  | { kind: "record"; message: BusMessage; record: InternalEvent | ProfileRecord }
  | { kind: "dead"; message: BusMessage; letter: ProduceRecord; reason: PoisonReason };

/** Records that cannot be decoded are dead-lettered inline, beside the batch's outputs, without isolation. */
export function decode(message: BusMessage): Decoded {
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

export interface DecodedBatch {
  decoded: Decoded[];
  /** The profiles whose state the batch reads, once each. */
  profiles: Array<{ projectId: string; profileId: string }>;
  /** Per decoded item, its seenKey (null for a dead letter). */
  idKeys: Array<string | null>;
}

export function decodeBatch(messages: readonly BusMessage[]): DecodedBatch {
  const decoded = messages.map(decode);
  const profiles = new Map<string, { projectId: string; profileId: string }>();
  for (const item of decoded) {
    if (item.kind === "record" && item.record.profile_id) {
      profiles.set(stateKey(item.record.project_id, item.record.profile_id), { projectId: item.record.project_id, profileId: item.record.profile_id });
    }
    if (item.kind === "record" && item.record.type === "profile" && item.record.merge) {
      const from = item.record.merge.from;
      profiles.set(stateKey(item.record.project_id, from), { projectId: item.record.project_id, profileId: from });
    }
  }
  const idKeys = decoded.map((item) => (item.kind === "record" ? seenKey(item.record) : null));
  return { decoded, profiles: [...profiles.values()], idKeys };
}

export interface Deduplicated {
  /** Dead letters and first sightings, in batch order. */
  handled: Decoded[];
  /** The seen keys this batch handles first: saved with its state. */
  fresh: Set<string>;
  duplicates: { event: number; profile: number };
}

/** Drops records whose event_id an earlier batch (`seen`) or an earlier record of this batch handled. */
export function dropSeen({ decoded, idKeys }: DecodedBatch, seen: ReadonlySet<string>): Deduplicated {
  const fresh = new Set<string>();
  const duplicates = { event: 0, profile: 0 };
  const handled = decoded.filter((item, index) => {
    const idKey = idKeys[index];
    if (!idKey || item.kind !== "record") return true;
    if (seen.has(idKey) || fresh.has(idKey)) {
      duplicates[item.record.type]++;
      return false;
    }
    fresh.add(idKey);
    return true;
  });
  return { handled, fresh, duplicates };
}

// ---------------------------------------------------------------------------------------------
// Profiles, enrichment, evaluation

export interface BatchOutcome {
  /** For `event.enriched`, `event.triggered` and `event.dlq`, in record order. */
  outputs: ProduceRecord[];
  /** States to save, windows pruned. */
  changed: ProfileState[];
  evaluations: { fired: number; quiet: number; failed: number };
  deadLettered: PoisonReason[];
}

export function newState(projectId: string, profileId: string, at: number): ProfileState {
  return { projectId, profileId, props: {}, windows: [], cooldowns: {}, createdAt: at, updatedAt: at };
}

/** The batch's working copy of profile state: loaded states, what changed, and each profile's live windows. */
class BatchState {
  readonly changed = new Map<string, ProfileState>();
  readonly windows = new Map<string, { windows: ProfileWindows; rules: ProjectRules }>();

  constructor(private readonly states: Map<string, ProfileState>) {}

  get(key: string): ProfileState | undefined {
    return this.states.get(key);
  }

  /** The state to write to (created on first write) and marks it to be saved. */
  write(key: string, projectId: string, profileId: string, at: number): ProfileState {
    const state = this.states.get(key) ?? newState(projectId, profileId, at);
    this.states.set(key, state);
    this.changed.set(key, state);
    return state;
  }

  /** The profile's windows for this batch, loaded from its stored entries on first use. */
  windowsOf(key: string, rules: ProjectRules): ProfileWindows {
    let entry = this.windows.get(key);
    if (!entry) {
      entry = { windows: new ProfileWindows(this.states.get(key)?.windows ?? []), rules };
      this.windows.set(key, entry);
    }
    return entry.windows;
  }

  /** Forgets a state merged into another person: not saved (identity.ts deletes its row). */
  drop(key: string): void {
    this.states.delete(key);
    this.changed.delete(key);
    this.windows.delete(key);
  }

  /** Prunes the windows of the changed profiles and stores them in their states. */
  finish(): ProfileState[] {
    for (const [key, { windows, rules }] of this.windows) {
      const state = this.changed.get(key);
      if (!state) continue;
      windows.prune(rules.maxWindowMs);
      state.windows = windows.toJSON();
    }
    return [...this.changed.values()];
  }
}

/**
 * Folds person `from`'s state into person `into`'s: props (into's win on conflict), window entries,
 * the later cooldown per trigger, the earlier creation time. `from`'s state is dropped.
 */
function foldPerson(batch: BatchState, projectId: string, merge: { from: string; into: string }, at: number, rules: ProjectRules): void {
  const fromKey = stateKey(projectId, merge.from);
  const intoKey = stateKey(projectId, merge.into);
  const source = batch.get(fromKey);
  const target = batch.write(intoKey, projectId, merge.into, at);
  if (source) {
    const props: JsonObject = { ...source.props };
    for (const [key, value] of Object.entries(target.props)) setOwn(props, key, value);
    target.props = props;
    const cooldowns = { ...target.cooldowns };
    for (const [trigger, last] of Object.entries(source.cooldowns)) if (!cooldowns[trigger] || cooldowns[trigger].t < last.t) cooldowns[trigger] = last;
    target.cooldowns = cooldowns;
    const windows = batch.windowsOf(intoKey, rules);
    for (const entry of batch.windowsOf(fromKey, rules).toJSON()) windows.add(entry);
    target.createdAt = Math.min(target.createdAt, source.createdAt);
  }
  batch.drop(fromKey);
}

function mergeRecord(record: ProfileRecord, merge: { from: string; into: string }, headers: BusMessage["headers"], format: RecordFormat): ProduceRecord {
  const value: PersonMerge = {
    type: "merge",
    project_id: record.project_id,
    distinct_id: merge.from,
    person_id: merge.into,
    change_id: record.event_id,
    merged_at: record.sts,
  };
  return { topic: TOPIC.enriched, key: `${record.project_id}:${merge.into}`, ...encodeValue(format, "person_merge", value), headers };
}

/** A profile record changes its person's state (the id itself when it was never merged). */
function profileChange(record: ProfileRecord, person: string, batch: BatchState, headers: BusMessage["headers"], format: RecordFormat): ProduceRecord {
  const state = batch.write(stateKey(record.project_id, person), record.project_id, person, record.sts);
  state.props = applyProfileRecord(state.props, record);
  state.updatedAt = Math.max(state.updatedAt, record.sts);
  const change: ProfileChange = {
    type: "profile",
    project_id: record.project_id,
    profile_id: person,
    change_id: record.event_id,
    changed_at: record.sts,
    set: record.set,
    set_once: record.set_once,
    unset: record.unset,
    props: state.props,
    created_at: state.createdAt,
    updated_at: state.updatedAt,
  };
  return { topic: TOPIC.enriched, key: `${record.project_id}:${person}`, ...encodeValue(format, "profile_change", change), headers };
}

export function enrich(event: InternalEvent, profileProps: JsonObject | undefined, userAgent: ParsedUserAgent): EnrichedEvent {
  // Field by field: spreading the decoded event cost 4.6 µs per event, this literal 0.03 µs. The
  // `satisfies` fails to compile when the enriched event gains a field this list does not carry.
  return {
    type: event.type,
    event_id: event.event_id,
    project_id: event.project_id,
    event_name: event.event_name,
    cts: event.cts,
    sts: event.sts,
    profile_id: event.profile_id,
    props: event.props,
    ctx: event.ctx,
    violations: event.violations,
    backfill: event.backfill,
    profile_props: profileProps ?? {},
    browser: userAgent.browser,
    os: event.ctx.os ?? userAgent.os,
    device_type: event.ctx.device_type ?? userAgent.device_type,
  } satisfies { [K in keyof Required<EnrichedEvent>]: EnrichedEvent[K] };
}

export function firingRecord(
  enriched: EnrichedEvent,
  outcome: TriggerOutcome<LoadedTrigger>,
  headers: BusMessage["headers"],
  format: RecordFormat = "json",
): ProduceRecord {
  const { trigger, result, error } = outcome;
  const firing: FiringRecord = {
    kind: "firing",
    firing_id: firingIdOf(trigger.id, enriched.event_id),
    project_id: enriched.project_id,
    trigger_id: trigger.id,
    trigger_version: trigger.version,
    trigger_name: trigger.name,
    event_id: enriched.event_id,
    event_name: enriched.event_name,
    profile_id: enriched.profile_id,
    fired_at: enriched.sts,
    event_ts: enriched.cts,
    result,
    error,
    actions: result === "fired" ? trigger.actions : [],
  };
  if (result === "fired" && trigger.actions.length > 0) firing.event = enriched;
  return {
    topic: TOPIC.triggered,
    key: kafkaKeyOf(enriched),
    ...encodeValue(format, "firing", firing),
    headers: firing.actions.length > 0 ? headers : withoutActions(headers),
  };
}

const NO_ACTIONS: Readonly<Record<string, string>> = Object.freeze({ [NO_ACTIONS_HEADER]: "1" });
/** The headers of a firing with no actions (most firings have no other header: one shared object). */
const withoutActions = (headers: BusMessage["headers"]): BusMessage["headers"] =>
  Object.keys(headers).length === 0 ? NO_ACTIONS : { ...headers, [NO_ACTIONS_HEADER]: "1" };

/** Runs the event through evaluateEvent against its person's windows and cooldowns, saving what changed. */
function evaluate(
  event: InternalEvent,
  person: string | null,
  rules: ProjectRules,
  batch: BatchState,
  counts: BatchOutcome["evaluations"],
): TriggerOutcome<LoadedTrigger>[] {
  const key = person ? stateKey(event.project_id, person) : null;
  const state = key ? batch.get(key) : undefined;
  const profile = key ? { person, props: state?.props ?? {}, windows: batch.windowsOf(key, rules), cooldowns: state?.cooldowns ?? {} } : null;
  const evaluation = evaluateEvent(event, profile, rules);
  if (key && (evaluation.windowChanged || evaluation.cooldowns !== profile?.cooldowns)) {
    batch.write(key, event.project_id, person!, event.sts).cooldowns = evaluation.cooldowns;
  }
  counts.quiet += evaluation.quiet;
  for (const outcome of evaluation.outcomes) counts[outcome.result === "fired" ? "fired" : "failed"]++;
  return evaluation.outcomes;
}

/**
 * Applies the handled records in order: profile records update state (and merge persons), events
 * are enriched with their person's props and evaluated against its state. `states` (as loaded,
 * keyed by person) is updated in place. Events keep the id they were sent under. Outputs are
 * written in `format` (src/contracts/wire): the bus's, Avro on Kafka.
 */
export function processRecords(
  handled: readonly Decoded[],
  states: Map<string, ProfileState>,
  rulesFor: (projectId: string) => ProjectRules,
  parseUserAgent: (userAgent: string | undefined) => ParsedUserAgent,
  identity: PersonResolver = SAME_PERSON,
  format: RecordFormat = "json",
): BatchOutcome {
  const batch = new BatchState(states);
  const result: BatchOutcome = { outputs: [], changed: [], evaluations: { fired: 0, quiet: 0, failed: 0 }, deadLettered: [] };
  for (const item of handled) {
    if (item.kind === "dead") {
      result.outputs.push(item.letter);
      result.deadLettered.push(item.reason);
      continue;
    }
    const { record, message } = item;
    if (record.type === "profile") {
      const merge = identity.merge(record);
      if (merge) {
        foldPerson(batch, record.project_id, merge, record.sts, rulesFor(record.project_id));
        result.outputs.push(mergeRecord(record, merge, message.headers, format));
      }
      result.outputs.push(profileChange(record, identity.personOf(record.project_id, record.profile_id), batch, message.headers, format));
      continue;
    }
    const person = record.profile_id ? identity.personOf(record.project_id, record.profile_id) : null;
    const profileProps = person ? batch.get(stateKey(record.project_id, person))?.props : undefined;
    const enriched = enrich(record, profileProps, parseUserAgent(record.ctx.user_agent));
    result.outputs.push({ topic: TOPIC.enriched, key: kafkaKeyOf(record), ...encodeValue(format, "enriched_event", enriched), headers: message.headers });
    // An import's past events are stored, not acted on: no windows, no rules, no firings (unless it asked to fire).
    if (record.backfill && !record.backfill.fire_actions) continue;
    const rules = rulesFor(record.project_id);
    if (rules.triggers.length === 0 && rules.windowProps.size === 0) continue;
    for (const outcome of evaluate(record, person, rules, batch, result.evaluations))
      result.outputs.push(firingRecord(enriched, outcome, message.headers, format));
  }
  result.changed = batch.finish();
  return result;
}
