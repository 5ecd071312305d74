/**
 * What the processor does with one event once its profile is known: add it to the profile's
 * windows (if a rule's window reads its name), evaluate the project's triggers on it, apply
 * cooldowns. The worker's batch handler, the triggers `test` procedure and the backtest all call
 * this, with the project's cohort membership as last loaded, so a rule tested in the app behaves
 * as it will in production.
 */
import type { InternalEvent, JsonObject } from "../events";
import type { TriggerAction } from "../triggers";
import { NO_COHORTS, type CohortReader, type CompiledRule } from "../rules/rules";
import { ProfileWindows } from "../rules/windows";

/** A trigger ready to evaluate: compiled rule plus what a firing carries. */
export interface EvaluableTrigger {
  id: string;
  name: string;
  version: number;
  cooldownMs: number;
  actions: TriggerAction[];
  rule: CompiledRule;
}

/**
 * A project's cohort members as last loaded (the worker refreshes them on a schedule; the app
 * fetches them for a test or backtest): never a query per event.
 */
export interface CohortMembership {
  /** Every id naming a member of cohort `key` (its persons and the ids merged into them); null while not loaded. */
  members(key: string): ReadonlySet<string> | null;
}

/** No cohort loaded: a rule reading one does not fire. */
export const NO_MEMBERSHIP: CohortMembership = Object.freeze({ members: () => null });

/** Membership from fixed lists, by cohort key (the app's test and backtest). */
export function fixedMembership(byKey: ReadonlyMap<string, Iterable<string>>): CohortMembership {
  const sets = new Map([...byKey].map(([key, ids]) => [key, new Set(ids)]));
  return { members: (key) => sets.get(key) ?? null };
}

export interface ProjectTriggers<T extends EvaluableTrigger = EvaluableTrigger> {
  triggers: T[];
  /** The triggers that can fire on an event of this name (see CompiledRule.eventNames), in order. */
  triggersFor(eventName: string): readonly T[];
  /** Event names some rule reads through window.*, with the props it needs of them. */
  windowProps: Map<string, Set<string>>;
  /** The longest window in use: state older than this (plus lateness) is dropped. */
  maxWindowMs: number;
  /** Cohort keys some rule reads through profile.in_cohort: the members the worker keeps. */
  cohortKeys: Set<string>;
  /** Their members, as last loaded. */
  cohorts: CohortMembership;
}

/** Event names are client data: past this many, the per-name lists are computed, not kept. */
const MAX_CACHED_NAMES = 1000;

/** Indexes a project's triggers by event name and collects what their windows and cohorts read. */
export function projectTriggers<T extends EvaluableTrigger>(triggers: readonly T[], cohorts: CohortMembership = NO_MEMBERSHIP): ProjectTriggers<T> {
  const byName = new Map<string, readonly T[]>();
  const rules: ProjectTriggers<T> = {
    triggers: [],
    windowProps: new Map(),
    maxWindowMs: 0,
    cohortKeys: new Set(),
    cohorts,
    triggersFor(eventName) {
      const cached = byName.get(eventName);
      if (cached) return cached;
      const applicable = rules.triggers.filter((trigger) => trigger.rule.eventNames === null || trigger.rule.eventNames.has(eventName));
      if (byName.size < MAX_CACHED_NAMES) byName.set(eventName, applicable);
      return applicable;
    },
  };
  for (const trigger of triggers) addTrigger(rules, trigger);
  return rules;
}

/** Adds a trigger before any lookup (the per-name lists are cached on first use). */
export function addTrigger<T extends EvaluableTrigger>(rules: ProjectTriggers<T>, trigger: T): void {
  rules.triggers.push(trigger);
  for (const need of trigger.rule.windowNeeds) {
    const props = rules.windowProps.get(need.name) ?? new Set<string>();
    if (need.prop !== null) props.add(need.prop);
    rules.windowProps.set(need.name, props);
    rules.maxWindowMs = Math.max(rules.maxWindowMs, need.durationMs);
  }
  for (const key of trigger.rule.cohortKeys) rules.cohortKeys.add(key);
}

/** Last firing per trigger id: event time and id, so re-evaluating that same event still fires. */
export type Cooldowns = Record<string, { t: number; id: string }>;

/** The profile as the event sees it; null for an event without a profile (no windows, no cooldowns, no cohorts). */
export interface ProfileView {
  /** The person the profile id belongs to (identity merge), when the caller knows it: membership is by person. */
  person?: string | null;
  props: JsonObject;
  /** Owned by the caller and updated in place: copying a window per event would cost the hot path. */
  windows: ProfileWindows;
  cooldowns: Cooldowns;
}

export type TriggerOutcome<T extends EvaluableTrigger = EvaluableTrigger> =
  { trigger: T; result: "fired"; error: null } | { trigger: T; result: "error"; error: string };

export interface EventEvaluation<T extends EvaluableTrigger = EvaluableTrigger> {
  /** The triggers that fired or failed, in trigger order; the rest were quiet. */
  outcomes: TriggerOutcome<T>[];
  /** Evaluations that did not fire: false, skipped by event name, or held back by a cooldown. */
  quiet: number;
  /** True when the event was added to `profile.windows`. */
  windowChanged: boolean;
  /** The profile's cooldowns after the event: the same object when no firing changed them. */
  cooldowns: Cooldowns;
}

const EMPTY_WINDOWS = new ProfileWindows([]);

/** Adds the event to the windows if some rule's window reads its name, with only the props rules aggregate. */
function addToWindows(event: InternalEvent, windows: ProfileWindows, windowProps: ProjectTriggers["windowProps"]): boolean {
  const wanted = windowProps.get(event.event_name);
  if (!wanted) return false;
  const values: Record<string, number | string> = {};
  for (const prop of wanted) {
    const value = event.props[prop];
    if (typeof value === "number" || typeof value === "string") values[prop] = value;
  }
  return windows.add({ id: event.event_id, n: event.event_name, t: event.cts, ...(wanted.size > 0 ? { v: values } : {}) });
}

/** The event's profile in the project's cohorts: by the id it was sent under or its person. */
class ProfileCohorts implements CohortReader {
  constructor(
    private readonly membership: CohortMembership,
    private readonly profileId: string | null,
    private readonly person: string | null,
  ) {}

  inCohort(key: string): boolean | null {
    // An event without a profile is in no cohort.
    if (this.profileId === null && this.person === null) return false;
    const members = this.membership.members(key);
    if (members === null) return null;
    return (this.profileId !== null && members.has(this.profileId)) || (this.person !== null && members.has(this.person));
  }
}

/** True while `trigger` last fired on another event less than its cooldown before this one. */
function coolingDown(trigger: EvaluableTrigger, event: InternalEvent, cooldowns: Cooldowns): boolean {
  const last = cooldowns[trigger.id];
  // The same event may be evaluated again after a crash; it keeps its firing.
  return last !== undefined && last.id !== event.event_id && event.cts < last.t + trigger.cooldownMs && event.cts >= last.t;
}

/**
 * Evaluates the project's triggers on one event. No I/O; the only effect is adding the event to
 * `profile.windows`. A rule that throws gives an "error" outcome (recorded in the trigger log)
 * rather than an exception.
 */
export function evaluateEvent<T extends EvaluableTrigger>(event: InternalEvent, profile: ProfileView | null, rules: ProjectTriggers<T>): EventEvaluation<T> {
  let cooldowns = profile?.cooldowns ?? {};
  const windowChanged = profile !== null && addToWindows(event, profile.windows, rules.windowProps);
  const reader = (profile?.windows ?? EMPTY_WINDOWS).reader({ t: event.cts, id: event.event_id });
  const input = {
    event: { id: event.event_id, name: event.event_name, time: event.cts, profile_id: event.profile_id, props: event.props, ctx: event.ctx },
    profile: { id: event.profile_id, props: profile?.props ?? {} },
  };
  // Most projects' rules read no cohort: no reader to build per event then.
  const cohorts = rules.cohortKeys.size === 0 ? NO_COHORTS : new ProfileCohorts(rules.cohorts, profile ? event.profile_id : null, profile?.person ?? null);
  const applicable = rules.triggersFor(event.event_name);
  // The others are false for this event name without being run (CompiledRule.eventNames).
  let quiet = rules.triggers.length - applicable.length;
  const outcomes: TriggerOutcome<T>[] = [];
  for (const trigger of applicable) {
    let fired: boolean;
    try {
      fired = trigger.rule.evaluate(input, reader, cohorts);
    } catch (caught) {
      outcomes.push({ trigger, result: "error", error: caught instanceof Error ? caught.message : String(caught) });
      continue;
    }
    if (!fired) {
      quiet++;
      continue;
    }
    if (trigger.cooldownMs > 0 && profile) {
      if (coolingDown(trigger, event, cooldowns)) {
        quiet++;
        continue;
      }
      cooldowns = { ...cooldowns, [trigger.id]: { t: event.cts, id: event.event_id } };
    }
    outcomes.push({ trigger, result: "fired", error: null });
  }
  return { outcomes, quiet, windowChanged, cooldowns };
}
