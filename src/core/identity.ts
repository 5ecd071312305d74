/**
 * Identity merge (person overrides). Events keep the id they were sent under (`profile_id`, the
 * "distinct id"); a merge records `distinct id → person id`, and every reader resolves an event's
 * person at read time as `override ?? profile_id`. History is never rewritten.
 *
 * Overrides are kept one hop deep: merging person P into Q also re-points every id that pointed to
 * P, so resolving never chains.
 */
import { z } from "zod";

/** What the processor sends the sink (on `event.enriched`) when one person is merged into another. */
export const personMergeSchema = z.object({
  type: z.literal("merge"),
  project_id: z.string().min(1),
  /** The id (a person until now) that becomes part of `person_id`. */
  distinct_id: z.string().min(1),
  person_id: z.string().min(1),
  /** The event_id of the identify or merge record that caused it. */
  change_id: z.string().min(1),
  merged_at: z.number().int(),
});
export type PersonMerge = z.infer<typeof personMergeSchema>;

/** Overrides of one project: distinct id → person id. */
export type Overrides = ReadonlyMap<string, string>;

export const personOf = (overrides: Overrides, profileId: string): string => overrides.get(profileId) ?? profileId;

/** The overrides after merging person `from` into person `into` (both already resolved). */
export function applyMerge(overrides: Overrides, from: string, into: string): Map<string, string> {
  const next = new Map(overrides);
  if (from === into) return next;
  for (const [distinct, person] of next) if (person === from) next.set(distinct, into);
  next.set(from, into);
  next.delete(into);
  return next;
}

/** Events with their profile ids rewritten to their persons: what a report over merged identities must equal. */
export function rewriteProfileIds<T extends { profile_id: string | null }>(events: readonly T[], overrides: Overrides): T[] {
  return events.map((event) =>
    event.profile_id === null || !overrides.has(event.profile_id) ? event : { ...event, profile_id: personOf(overrides, event.profile_id) },
  );
}

export type MergeDecision = { kind: "merge"; from: string; into: string } | { kind: "same" } | { kind: "refused"; reason: "identified" | "already_merged" };

/**
 * Whether a merge of `from` into `into` may happen. An identify (implicit) merges only an
 * anonymous id: never one that is itself an identified user, nor one already merged into another
 * person (two identified users are never merged implicitly, cf. PostHog #11873). An explicit
 * merge (an admin asked) merges any two different persons.
 */
export function decideMerge(opts: { from: string; into: string; explicit: boolean; overrides: Overrides; identified: (id: string) => boolean }): MergeDecision {
  const fromPerson = personOf(opts.overrides, opts.from);
  const intoPerson = personOf(opts.overrides, opts.into);
  if (fromPerson === intoPerson) return { kind: "same" };
  if (!opts.explicit) {
    if (fromPerson !== opts.from) return { kind: "refused", reason: "already_merged" };
    if (opts.identified(opts.from)) return { kind: "refused", reason: "identified" };
  }
  return { kind: "merge", from: fromPerson, into: intoPerson };
}
