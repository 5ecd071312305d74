"use client";

import { History } from "lucide-react";
import Link from "next/link";
import { useEffect, useId, useRef, useState } from "react";
import { Bar, BarChart, ResponsiveContainer, Tooltip, XAxis } from "recharts";
import { AXIS, colour, TOOLTIP_STYLE, tooltipNumber } from "~/components/reports/charts/style";
import { errorMessage } from "~/components/form-errors";
import { HydratedButton as Button } from "~/components/hydrated-button";
import { Label } from "~/components/ui/label";
import { Select } from "~/components/ui/select";
import { EMPTY_BACKTEST, mergeBacktest, type BacktestSummary } from "~/core/processing/backtest";
import { useTRPCClient } from "~/trpc/react";

const DAY_CHOICES = [1, 3, 7, 14, 30] as const;
/** The whole backtest's time limit, over all its pages. */
const TIME_LIMIT_MS = 20_000;
const count = (n: number) => n.toLocaleString("en-US");

type RunState =
  | { status: "idle" }
  | { status: "running"; summary: BacktestSummary; total: number | null; days: number }
  | { status: "done"; summary: BacktestSummary; total: number; days: number; to: string; stoppedEarly: boolean; elapsedMs: number }
  | { status: "error"; message: string };

/** Runs the rule being edited over the project's stored events of the last N days, page by page, with progress and a time limit. */
export function RuleBacktestPanel({ projectId, rule, cooldownSeconds }: { projectId: string; rule: string; cooldownSeconds: number }) {
  const client = useTRPCClient();
  const id = useId();
  const [days, setDays] = useState(7);
  const [state, setState] = useState<RunState>({ status: "idle" });
  // A new run, or leaving the editor, abandons the run in flight.
  const runId = useRef(0);
  useEffect(
    () => () => {
      runId.current++;
    },
    [],
  );

  async function run() {
    const mine = ++runId.current;
    const started = Date.now();
    let summary = EMPTY_BACKTEST;
    let total: number | null = null;
    let cursor: { to: string; after: string } | null = null;
    setState({ status: "running", summary, total, days });
    try {
      for (;;) {
        const page = await client.triggers.backtest.mutate({ projectId, rule, cooldownSeconds, days, cursor });
        if (runId.current !== mine) return;
        summary = mergeBacktest(summary, page.summary);
        total = page.total;
        const elapsedMs = Date.now() - started;
        if (page.next === null || elapsedMs > TIME_LIMIT_MS) {
          setState({ status: "done", summary, total, days, to: page.to, stoppedEarly: page.next !== null, elapsedMs });
          return;
        }
        cursor = page.next;
        setState({ status: "running", summary, total, days });
      }
    } catch (error) {
      if (runId.current === mine) setState({ status: "error", message: errorMessage(error) ?? "The backtest failed." });
    }
  }

  const running = state.status === "running";
  const result = state.status === "running" || state.status === "done" ? state : null;
  return (
    <section aria-labelledby={`${id}-title`} className="space-y-3 rounded-md border bg-background p-3">
      <div className="flex items-center gap-2">
        <History className="h-4 w-4 text-muted-foreground" aria-hidden="true" />
        <h4 id={`${id}-title`} className="text-sm font-semibold">
          Backtest
        </h4>
        <span className="text-xs text-muted-foreground">how often this rule would have fired on the stored events, and for whom.</span>
      </div>
      <div className="flex flex-wrap items-end gap-3">
        <div className="space-y-1.5">
          <Label htmlFor={`${id}-days`}>Over the last</Label>
          <Select id={`${id}-days`} value={days} onChange={(event) => setDays(Number(event.target.value))} className="w-32" disabled={running}>
            {DAY_CHOICES.map((choice) => (
              <option key={choice} value={choice}>
                {choice === 1 ? "1 day" : `${choice} days`}
              </option>
            ))}
          </Select>
        </div>
        <Button type="button" variant="secondary" size="sm" onClick={() => void run()} disabled={running || rule.trim() === ""}>
          {running ? "Running…" : "Run backtest"}
        </Button>
      </div>
      <div role="status" aria-live="polite" className="space-y-1 text-sm">
        {state.status === "error" ? <p className="text-destructive">{state.message}</p> : null}
        {state.status === "running" ? (
          <p className="text-muted-foreground">
            {state.total === null ? "Reading the stored events…" : `${count(state.summary.events)} of ${count(state.total)} events evaluated…`}
          </p>
        ) : null}
        {state.status === "done" && state.stoppedEarly ? (
          <p className="text-amber-700 dark:text-amber-400">
            The backtest stopped after {count(state.summary.events)} of {count(state.total)} events ({TIME_LIMIT_MS / 1000} s limit); narrow the days. The
            counts below are for the events it reached.
          </p>
        ) : null}
        {result ? (
          <p>
            Would have fired <strong>{count(result.summary.fired)}</strong> time{result.summary.fired === 1 ? "" : "s"} for{" "}
            <strong>{count(result.summary.profiles)}</strong> profile{result.summary.profiles === 1 ? "" : "s"} over {count(result.summary.events)} events of
            the last {result.days === 1 ? "day" : `${result.days} days`}
            {state.status === "done" ? <span className="text-muted-foreground"> ({(state.elapsedMs / 1000).toFixed(1)} s)</span> : null}.
          </p>
        ) : null}
        {result && result.summary.errors > 0 ? (
          <p className="text-destructive">
            The rule failed at runtime on {count(result.summary.errors)} event{result.summary.errors === 1 ? "" : "s"}: {result.summary.firstError}
          </p>
        ) : null}
      </div>
      {state.status === "done" ? <BacktestResults projectId={projectId} summary={state.summary} days={state.days} to={state.to} /> : null}
      <p className="text-xs text-muted-foreground">
        Each profile starts the range with empty windows and no cooldown; events are evaluated as the worker did, with the profile as it was then.
      </p>
    </section>
  );
}

/** Firings per UTC day (every day of the range, zeros included) and the profiles that fired most. */
function BacktestResults({ projectId, summary, days, to }: { projectId: string; summary: BacktestSummary; days: number; to: string }) {
  const today = Date.parse(to);
  const perDay = Array.from({ length: days + 1 }, (_, index) => {
    const day = new Date(today - (days - index) * 24 * 3600 * 1000).toISOString().slice(0, 10);
    return { day: day.slice(5), firings: summary.perDay[day] ?? 0 };
  });
  if (summary.fired === 0) return null;
  const firings = summary.sample.filter((firing) => firing.result === "fired");
  return (
    <>
      <div className="grid gap-4 md:grid-cols-[2fr_1fr]">
        <figure className="space-y-1">
          <figcaption className="text-xs text-muted-foreground">Firings per day (UTC)</figcaption>
          <div className="h-32 w-full" aria-label="Firings per day" role="img">
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={perDay} margin={{ top: 4, right: 4, bottom: 0, left: 4 }}>
                <XAxis dataKey="day" tick={AXIS} tickLine={false} axisLine={false} interval="preserveStartEnd" />
                <Tooltip contentStyle={TOOLTIP_STYLE} formatter={tooltipNumber} cursor={{ fill: "#f4f4f5" }} />
                <Bar dataKey="firings" name="Firings" fill={colour(0)} radius={[3, 3, 0, 0]} isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </div>
        </figure>
        <div className="space-y-1">
          <p className="text-xs text-muted-foreground">Top profiles</p>
          {summary.topProfiles.length === 0 ? (
            <p className="text-sm text-muted-foreground">Only anonymous events fired.</p>
          ) : (
            <ol className="space-y-0.5 text-sm" aria-label="Profiles the rule fired for most">
              {summary.topProfiles.map((row) => (
                <li key={row.person} className="flex justify-between gap-2">
                  <Link
                    href={`/projects/${projectId}/profiles/${encodeURIComponent(row.person)}`}
                    className="truncate font-mono text-xs underline-offset-2 hover:underline"
                  >
                    {row.person}
                  </Link>
                  <span className="tabular-nums">{count(row.fired)}</span>
                </li>
              ))}
            </ol>
          )}
        </div>
      </div>
      <details className="text-sm">
        <summary className="cursor-pointer text-muted-foreground">First {firings.length === 1 ? "firing" : `${firings.length} firings`}</summary>
        <ul className="mt-2 space-y-0.5" aria-label="First firings">
          {firings.map((firing) => (
            <li key={firing.eventId} className="flex flex-wrap gap-x-3 text-xs">
              <time dateTime={new Date(firing.at).toISOString()} className="tabular-nums text-muted-foreground">
                {new Date(firing.at).toISOString().replace("T", " ").slice(0, 19)} UTC
              </time>
              <span>{firing.eventName}</span>
              {firing.person === null ? (
                <span className="text-muted-foreground">anonymous</span>
              ) : (
                <Link href={`/projects/${projectId}/profiles/${encodeURIComponent(firing.person)}`} className="font-mono underline-offset-2 hover:underline">
                  {firing.profileId ?? firing.person}
                </Link>
              )}
            </li>
          ))}
        </ul>
      </details>
    </>
  );
}
