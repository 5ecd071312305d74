/**
 * The triggers `test` procedure's evaluation: the sample and its earlier events are run through
 * evaluateEvent as the processor would receive them, so the answer is production's.
 */
import type { InternalEvent, JsonObject } from "../events";
import { ProfileWindows } from "../rules/windows";
import { evaluateEvent, NO_MEMBERSHIP, projectTriggers, type CohortMembership, type EvaluableTrigger, type ProfileView, type TriggerOutcome } from "./evaluate";

export interface RuleTestSample {
  event: { name: string; props: JsonObject; profile_id?: string | null };
  profile: { props: JsonObject };
  /** Earlier events of the same profile, for window.*. */
  history: { name: string; props: JsonObject; secondsAgo: number }[];
}

/** The profile a sample belongs to when it names none; `profile_id: null` means an anonymous event. */
export const SAMPLE_PROFILE_ID = "sample-profile";
export const SAMPLE_EVENT_ID = "sample-event";
const SAMPLE_PROJECT_ID = "sample-project";

/** The profile id the sample is evaluated under. */
export function sampleProfileId(sample: RuleTestSample): string | null {
  return sample.event.profile_id === undefined ? SAMPLE_PROFILE_ID : sample.event.profile_id;
}

/** The sample as the processor would receive it: the earlier events oldest first (times in whole ms, as events carry), then the sample itself at `now`. */
export function sampleEvents(sample: RuleTestSample, now: number): InternalEvent[] {
  const profileId = sampleProfileId(sample);
  const event = (id: string, name: string, props: JsonObject, time: number): InternalEvent => ({
    type: "event",
    event_id: id,
    project_id: SAMPLE_PROJECT_ID,
    event_name: name,
    cts: time,
    sts: time,
    profile_id: profileId,
    props,
    ctx: {},
  });
  const earlier = sample.history
    .map((past, index) => event(`history-${String(index).padStart(4, "0")}`, past.name, past.props, Math.round(now - past.secondsAgo * 1000)))
    .sort((a, b) => a.cts - b.cts);
  return [...earlier, event(SAMPLE_EVENT_ID, sample.event.name, sample.event.props, now)];
}

/**
 * What `trigger` does on the sample: fired, error, or null when it stays quiet (false, or held
 * back by its cooldown after firing on an earlier event). An anonymous event has no windows, no
 * profile props and no cohorts, as in the processor; `cohorts` is the project's membership, which
 * the sample's profile id is looked up in.
 */
export function testRuleOnSample<T extends EvaluableTrigger>(
  trigger: T,
  sample: RuleTestSample,
  now: number,
  cohorts: CohortMembership = NO_MEMBERSHIP,
): TriggerOutcome<T> | null {
  const rules = projectTriggers([trigger], cohorts);
  const events = sampleEvents(sample, now);
  const profile: ProfileView | null = events[0]!.profile_id === null ? null : { props: sample.profile.props, windows: new ProfileWindows(), cooldowns: {} };
  let outcome: TriggerOutcome<T> | null = null;
  for (const event of events) {
    const evaluation = evaluateEvent(event, profile, rules);
    if (profile) profile.cooldowns = evaluation.cooldowns;
    outcome = evaluation.outcomes[0] ?? null;
  }
  return outcome;
}
