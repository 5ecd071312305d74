/**
 * Rule backtest: a rule run over stored events through evaluateEvent, as the processor ran them.
 * Events come grouped by person and in event-time order within a person; each person starts with
 * empty windows and no cooldowns at the start of the range, and sees the profile props stored with
 * each event (the processor's view of the profile when the event arrived). Cohort membership is
 * today's (the worker keeps no history of it), so `profile.in_cohort` reads who is a member now.
 */
import type { InternalEvent, JsonObject } from "../events";
import { ProfileWindows } from "../rules/windows";
import { evaluateEvent, NO_MEMBERSHIP, projectTriggers, type CohortMembership, type Cooldowns, type EvaluableTrigger, type ProfileView } from "./evaluate";

/** A stored event: the event as sent, the person whose state it updates, and the profile props it was evaluated with. */
export interface StoredEvent extends InternalEvent {
  /** The person the event belongs to (identity merge); null for an anonymous event. */
  person: string | null;
  profile_props: JsonObject;
}

export interface BacktestFiring {
  eventId: string;
  eventName: string;
  /** The id the event was sent under. */
  profileId: string | null;
  person: string | null;
  /** Event time, ms. */
  at: number;
  result: "fired" | "error";
  error: string | null;
}

/**
 * The firings and errors of `trigger` over `events`, in the given order. `events` must hold each
 * person's events together, oldest first (ties by event id), as the processor received them.
 */
export function backtestTrigger(trigger: EvaluableTrigger, events: Iterable<StoredEvent>, cohorts: CohortMembership = NO_MEMBERSHIP): BacktestFiring[] {
  const rules = projectTriggers([trigger], cohorts);
  const firings: BacktestFiring[] = [];
  let person: string | null = null;
  let windows = new ProfileWindows();
  let cooldowns: Cooldowns = {};
  for (const event of events) {
    if (event.person !== person) {
      person = event.person;
      windows = new ProfileWindows();
      cooldowns = {};
    }
    const profile: ProfileView | null = event.person === null ? null : { person: event.person, props: event.profile_props, windows, cooldowns };
    const evaluation = evaluateEvent(event, profile, rules);
    cooldowns = evaluation.cooldowns;
    for (const outcome of evaluation.outcomes) {
      firings.push({
        eventId: event.event_id,
        eventName: event.event_name,
        profileId: event.profile_id,
        person: event.person,
        at: event.cts,
        result: outcome.result,
        error: outcome.error,
      });
    }
  }
  return firings;
}

export interface BacktestSummary {
  /** Events evaluated. */
  events: number;
  fired: number;
  /** Evaluations that threw (the trigger log would record them as errors). */
  errors: number;
  /** Distinct persons with at least one firing (anonymous events not counted). */
  profiles: number;
  /** Firings per UTC day, "YYYY-MM-DD" → count. */
  perDay: Record<string, number>;
  /** The persons who fired most, most first (ties by id). */
  topProfiles: { person: string; fired: number }[];
  /** The first firings and errors, in evaluation order. */
  sample: BacktestFiring[];
  /** The first runtime error's message, if any. */
  firstError: string | null;
}

export const BACKTEST_TOP = 10;
export const BACKTEST_SAMPLE = 20;

export function summarizeBacktest(events: number, firings: readonly BacktestFiring[]): BacktestSummary {
  const perDay: Record<string, number> = {};
  const perPerson = new Map<string, number>();
  let fired = 0;
  let firstError: string | null = null;
  for (const firing of firings) {
    if (firing.result === "error") {
      firstError ??= firing.error;
      continue;
    }
    fired++;
    const day = new Date(firing.at).toISOString().slice(0, 10);
    perDay[day] = (perDay[day] ?? 0) + 1;
    if (firing.person !== null) perPerson.set(firing.person, (perPerson.get(firing.person) ?? 0) + 1);
  }
  return {
    events,
    fired,
    errors: firings.length - fired,
    profiles: perPerson.size,
    perDay,
    topProfiles: topOf([...perPerson].map(([person, count]) => ({ person, fired: count }))),
    sample: firings.slice(0, BACKTEST_SAMPLE),
    firstError,
  };
}

function topOf(rows: { person: string; fired: number }[]): { person: string; fired: number }[] {
  return rows.sort((a, b) => b.fired - a.fired || (a.person < b.person ? -1 : a.person > b.person ? 1 : 0)).slice(0, BACKTEST_TOP);
}

/**
 * Adds a page's summary to the running one. Pages hold whole persons (no person spans two), so
 * distinct persons add up and the overall top persons are among the pages' tops.
 */
export function mergeBacktest(total: BacktestSummary, page: BacktestSummary): BacktestSummary {
  const perDay = { ...total.perDay };
  for (const [day, count] of Object.entries(page.perDay)) perDay[day] = (perDay[day] ?? 0) + count;
  return {
    events: total.events + page.events,
    fired: total.fired + page.fired,
    errors: total.errors + page.errors,
    profiles: total.profiles + page.profiles,
    perDay,
    topProfiles: topOf([...total.topProfiles, ...page.topProfiles]),
    sample: [...total.sample, ...page.sample].slice(0, BACKTEST_SAMPLE),
    firstError: total.firstError ?? page.firstError,
  };
}

export const EMPTY_BACKTEST: BacktestSummary = { events: 0, fired: 0, errors: 0, profiles: 0, perDay: {}, topProfiles: [], sample: [], firstError: null };
