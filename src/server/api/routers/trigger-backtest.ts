/**
 * The triggers `backtest` procedure's work: one page of the project's stored events from the query
 * service, run through backtestTrigger (the processor's evaluateEvent, windows and cooldowns). The
 * editor calls it page by page, so it can show progress and stop at its time limit.
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { backtestTrigger, summarizeBacktest, type BacktestSummary, type CohortMembership, type StoredEvent } from "~/core/processing";
import { compileRule, type AttributeDef } from "~/core/rules";
import { callQueryService } from "~/server/query-client";

/** Events per page: a page answers in about a second on the demo machine, so progress moves. */
export const BACKTEST_PAGE_EVENTS = 10_000;
/** Past this many events in the range, the backtest refuses rather than run for minutes. */
export const BACKTEST_MAX_EVENTS = 1_000_000;
export const BACKTEST_MAX_DAYS = 30;
const DAY_MS = 24 * 3600 * 1000;

export const backtestInput = {
  rule: z.string().max(10_000),
  cooldownSeconds: z
    .number()
    .int()
    .min(0)
    .max(30 * 24 * 3600)
    .default(0),
  days: z.number().int().min(1).max(BACKTEST_MAX_DAYS).default(7),
  /** The previous page's `next`; null starts a backtest. */
  cursor: z
    .strictObject({ to: z.iso.datetime({ offset: true }), after: z.string().min(1).max(300) })
    .nullable()
    .default(null),
};

export interface BacktestPage {
  summary: BacktestSummary;
  /** Events in the whole range: the progress line's denominator. */
  total: number;
  from: string;
  to: string;
  /** Pass as `cursor` for the next page; null when this was the last. */
  next: { to: string; after: string } | null;
  elapsedMs: number;
}

/**
 * `membership` gives the current members of the cohorts the rule reads (profile.in_cohort): today's,
 * for every event in the range, as the worker keeps no history of membership.
 */
export async function backtestPage(
  projectId: string,
  vocabulary: { attributes: AttributeDef[]; cohorts: string[] },
  input: { rule: string; cooldownSeconds: number; days: number; cursor: { to: string; after: string } | null },
  membership: (cohortKeys: readonly string[]) => Promise<CohortMembership>,
): Promise<BacktestPage> {
  const started = Date.now();
  let rule;
  try {
    rule = compileRule(input.rule, vocabulary.attributes, vocabulary.cohorts);
  } catch (error) {
    throw new TRPCError({ code: "BAD_REQUEST", message: `The rule does not check: ${error instanceof Error ? error.message : String(error)}.` });
  }
  // Fixed on the first page, so later pages read the same range while events keep arriving.
  const to = input.cursor?.to ?? new Date(started).toISOString();
  const from = new Date(Date.parse(to) - input.days * DAY_MS).toISOString();
  const [page, cohorts] = await Promise.all([
    callQueryService((client) =>
      client.triggers.backtestEvents.query({ projectId, from, to, after: input.cursor?.after ?? null, limit: BACKTEST_PAGE_EVENTS }),
    ),
    membership(rule.cohortKeys),
  ]);
  if (input.cursor === null && page.total > BACKTEST_MAX_EVENTS) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `The last ${input.days} days hold ${page.total.toLocaleString("en-US")} events, more than the backtest's ${BACKTEST_MAX_EVENTS.toLocaleString("en-US")}; choose fewer days.`,
    });
  }
  const trigger = { id: "backtest", name: "Rule under test", version: 0, cooldownMs: input.cooldownSeconds * 1000, actions: [], rule };
  const events: StoredEvent[] = page.events.map((row) => ({
    type: "event",
    event_id: row.eventId,
    project_id: projectId,
    event_name: row.eventName,
    cts: row.ts,
    sts: row.receivedAt,
    profile_id: row.profileId,
    props: row.props,
    ctx: row.ctx,
    person: row.person,
    profile_props: row.profileProps,
  }));
  const summary = summarizeBacktest(events.length, backtestTrigger(trigger, events, cohorts));
  return {
    summary,
    total: page.total,
    from,
    to,
    next: page.next === null ? null : { to, after: page.next },
    elapsedMs: Date.now() - started,
  };
}
