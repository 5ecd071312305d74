/**
 * The spec's reporting metrics, on the process that serves queries:
 *   report_query_duration_seconds{kind,outcome}  how long a report took to answer
 *   report_query_total{kind,outcome}              reports answered
 *   duckdb_connection_pool_active                 DuckDB connections the query service has open
 * outcome: ok (computed on DuckDB), cached (served from the result cache or from an identical query
 * already running), invalid, timeout, too_large, error.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { ReportInputError } from "./reports";
import { QueryTimeoutError, RowCapError } from "./runner";

export const REPORT_OUTCOMES = ["ok", "cached", "invalid", "timeout", "too_large", "error"] as const;
export type ReportOutcome = (typeof REPORT_OUTCOMES)[number];

export interface ReportMetrics {
  duration: Histogram<"kind" | "outcome">;
  total: Counter<"kind" | "outcome">;
  connections: Gauge;
}

/** Registered once per registry, however many query services share it (tests start several). */
export function reportMetrics(registry: Registry): ReportMetrics {
  const existing = registry.getSingleMetric("report_query_total");
  if (existing) {
    return {
      total: existing as Counter<"kind" | "outcome">,
      duration: registry.getSingleMetric("report_query_duration_seconds") as Histogram<"kind" | "outcome">,
      connections: registry.getSingleMetric("duckdb_connection_pool_active") as Gauge,
    };
  }
  return {
    duration: new Histogram({
      name: "report_query_duration_seconds",
      help: "Time to answer a report, by report kind and outcome",
      labelNames: ["kind", "outcome"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    total: new Counter({
      name: "report_query_total",
      help: "Reports answered, by report kind and outcome",
      labelNames: ["kind", "outcome"],
      registers: [registry],
    }),
    connections: new Gauge({ name: "duckdb_connection_pool_active", help: "DuckDB connections the query service has open", registers: [registry] }),
  };
}

export function outcomeOf(error: unknown): ReportOutcome {
  if (error instanceof ReportInputError) return "invalid";
  if (error instanceof QueryTimeoutError) return "timeout";
  if (error instanceof RowCapError) return "too_large";
  return "error";
}

/** Runs one report computation, timing it and counting its outcome. */
export async function measured<T>(metrics: ReportMetrics | undefined, kind: string, work: () => Promise<T>, outcome: ReportOutcome = "ok"): Promise<T> {
  if (!metrics) return work();
  const end = metrics.duration.startTimer({ kind });
  try {
    const result = await work();
    end({ outcome });
    metrics.total.inc({ kind, outcome });
    return result;
  } catch (error) {
    const failed = outcomeOf(error);
    end({ outcome: failed });
    metrics.total.inc({ kind, outcome: failed });
    throw error;
  }
}
