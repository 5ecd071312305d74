/**
 * Exports: CSV, NDJSON or a JSON array, written to the response as rows arrive. Raw events stream
 * from DuckDB chunk by chunk (constant memory whatever the row count); reports are computed first
 * (their results are small) and then written the same way.
 */
import { NO_COHORTS, type CohortContext } from "./cohorts";
import type { ServerResponse } from "node:http";
import type { z } from "zod";
import type { ReportSpec } from "../../src/core/reports";
import type { ExportFormat, exportRequestSchema } from "../../src/contracts/query-service";
import { funnelReport, queryReport, retentionReport, segmentReport, trendReport, type RunQuery } from "./reports";
import { pathsReport } from "./paths";
import { Params, Scope, type BuiltQuery } from "./sql";
import type { EventFilterDef } from "./browse";

export const EVENT_EXPORT_COLUMNS = ["event_id", "event_name", "profile_id", "ts", "received_at", "browser", "os", "device_type", "props", "ctx"];
export const EVENT_EXPORT_JSON_COLUMNS = ["props", "ctx"];

/** Raw events matching a filter, in storage (arrival) order: no sort, so nothing has to be held. */
export function buildEventExport(projectId: string, filter: EventFilterDef): { rows: BuiltQuery; count: BuiltQuery } {
  const params = new Params();
  const project = params.add(projectId);
  const scope = new Scope(params);
  const where = [`e.project_id = ${project}`];
  if (filter.range) where.push(`e.ts >= ${params.timestamp(filter.range.from)}`, `e.ts < ${params.timestamp(filter.range.to)}`);
  if (filter.events.length > 0) where.push(`e.event_name IN (${filter.events.map((name) => params.add(name)).join(", ")})`);
  if (filter.profileId !== undefined) where.push(`e.profile_id = ${params.add(filter.profileId)}`);
  where.push(...scope.filters(filter.filters));
  const from = `${scope.from(project, { persons: false })} WHERE ${where.join(" AND ")}`;
  return {
    rows: {
      sql: `SELECT e.event_id, e.event_name, e.profile_id, strftime(timezone('UTC', e.ts), '%Y-%m-%dT%H:%M:%S.%gZ') AS ts,
                   strftime(timezone('UTC', e.received_at), '%Y-%m-%dT%H:%M:%S.%gZ') AS received_at, e.browser, e.os, e.device_type,
                   CAST(e.props AS VARCHAR) AS props, CAST(e.ctx AS VARCHAR) AS ctx
              FROM ${from}`,
      params: params.values,
    },
    count: { sql: `SELECT count(*) AS n FROM ${from}`, params: params.values },
  };
}

type Cell = string | number | boolean | null;

/** A report's result as a table: column names and rows. */
/** A report as a table; cohort filters apply, a cohort breakdown does not (the export is the report as defined). */
export async function reportTable(
  run: RunQuery,
  projectId: string,
  timezone: string,
  spec: ReportSpec,
  cohorts: CohortContext = NO_COHORTS,
): Promise<{ columns: string[]; rows: Cell[][] }> {
  switch (spec.kind) {
    case "query": {
      const result = await queryReport(run, projectId, spec.definition, cohorts);
      return { columns: result.columns, rows: result.rows.map((row) => [...row.groups, row.value]) };
    }
    case "trend": {
      const result = await trendReport(run, projectId, spec.definition, timezone, cohorts);
      const rows: Cell[][] = [];
      // With a comparison, each row also names the bucket it is compared with and what that is ("previous" or "year").
      const compared = spec.definition.compare;
      for (const series of result.series) {
        result.buckets.forEach((bucket, index) => {
          const row: Cell[] = [series.label, bucket, series.values[index] ?? null, series.previous?.values[index] ?? null];
          if (compared) row.push(series.previous?.buckets[index] ?? null, series.previous?.against ?? null);
          rows.push(row);
        });
      }
      return { columns: ["series", "bucket", "value", "previous_value", ...(compared ? ["previous_bucket", "compared_with"] : [])], rows };
    }
    case "funnel": {
      const result = await funnelReport(run, projectId, spec.definition, timezone, cohorts);
      const groups = [{ value: null as string | null, steps: result.steps, all: true }, ...(result.breakdown ?? []).map((group) => ({ ...group, all: false }))];
      const rows: Cell[][] = [];
      for (const group of groups) {
        group.steps.forEach((step, index) =>
          rows.push([
            group.all ? "(all)" : group.value,
            index + 1,
            step.label,
            step.count,
            step.conversionFromStart,
            step.conversionFromPrevious,
            step.dropOff,
            step.medianSecondsFromPrevious,
          ]),
        );
      }
      return {
        columns: ["breakdown", "step", "label", "count", "conversion_from_start", "conversion_from_previous", "drop_off", "median_seconds_from_previous"],
        rows,
      };
    }
    case "segment": {
      const result = await segmentReport(run, projectId, spec.definition, cohorts);
      const rows: Cell[][] = result.rows.map((row) => [row.value, row.result]);
      if (result.other !== null) rows.push(["(other)", result.other]);
      return { columns: [spec.definition.breakdown, "value"], rows };
    }
    case "retention": {
      const result = await retentionReport(run, projectId, spec.definition, timezone, cohorts);
      return {
        columns: ["cohort", "size", ...result.periods.map((period) => `period_${period}`)],
        rows: result.cohorts.map((cohort) => [cohort.cohort, cohort.size, ...cohort.counts]),
      };
    }
    case "paths": {
      // One column per step, so a spreadsheet can pivot on them; people outside the top N are one row.
      const result = await pathsReport(run, projectId, spec.definition, cohorts);
      const width = spec.definition.depth + 1;
      const steps = (path: string[]) => Array.from({ length: width }, (_, index) => path[index] ?? null);
      const rows: Cell[][] = result.paths.map((path) => [path.count, ...steps(path.steps)]);
      if (result.other > 0) rows.push([result.other, "(other)", ...steps([]).slice(1)]);
      return { columns: ["people", ...steps([]).map((_, index) => `step_${index + 1}`)], rows };
    }
  }
}

/** Text a spreadsheet would run as a formula gets a leading apostrophe (OWASP CSV injection advice). */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  let text = typeof value === "string" ? value : typeof value === "bigint" ? value.toString() : String(value);
  if (typeof value === "string" && /^[=+@\t\r-]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function jsonCell(value: unknown): unknown {
  return typeof value === "bigint" ? Number(value) : value;
}

/** Writes rows in one format, waiting for the socket to drain so memory stays flat. */
export class ExportWriter {
  private first = true;
  private columns: string[] = [];
  /** Columns whose cells are JSON text (event props and ctx): nested as objects in JSON formats, kept as text in CSV. */
  private jsonColumns = new Set<number>();
  rows = 0;

  constructor(
    private readonly res: ServerResponse,
    readonly format: ExportFormat,
  ) {}

  private async write(text: string): Promise<void> {
    if (this.res.destroyed) throw new Error("the client went away");
    if (!this.res.write(text)) {
      await new Promise<void>((resolve, reject) => {
        const done = () => {
          this.res.off("drain", done);
          this.res.off("close", closed);
          resolve();
        };
        const closed = () => {
          this.res.off("drain", done);
          reject(new Error("the client went away"));
        };
        this.res.once("drain", done);
        this.res.once("close", closed);
      });
    }
  }

  async start(columns: string[], jsonColumns: readonly string[] = []): Promise<void> {
    this.columns = columns;
    this.jsonColumns = new Set(columns.flatMap((column, index) => (jsonColumns.includes(column) ? [index] : [])));
    if (this.format === "csv") await this.write(columns.map(csvCell).join(",") + "\r\n");
    if (this.format === "json") await this.write("[");
  }

  async rowsOf(rows: unknown[][]): Promise<void> {
    let text = "";
    for (const row of rows) {
      if (this.format === "csv") text += row.map(csvCell).join(",") + "\r\n";
      else {
        const line = this.jsonLine(row);
        text += this.format === "ndjson" ? line + "\n" : (this.first ? "\n" : ",\n") + line;
      }
      this.first = false;
    }
    this.rows += rows.length;
    if (text) await this.write(text);
  }

  /**
   * One row as a JSON object. JSON-text cells come from DuckDB's JSON type, which holds only valid
   * JSON, so they are spliced in as they are rather than parsed and written out again.
   */
  private jsonLine(row: unknown[]): string {
    const parts = this.columns.map((column, index) => {
      const value = row[index];
      const json = this.jsonColumns.has(index) && typeof value === "string" ? value : JSON.stringify(jsonCell(value ?? null));
      return `${JSON.stringify(column)}:${json}`;
    });
    return `{${parts.join(",")}}`;
  }

  async finish(): Promise<void> {
    if (this.format === "json") await this.write(this.first ? "]\n" : "\n]\n");
  }
}

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: "text/csv; charset=utf-8",
  ndjson: "application/x-ndjson",
  json: "application/json",
};

export function exportFilename(request: z.output<typeof exportRequestSchema>, now = new Date()): string {
  const stamp = now.toISOString().slice(0, 19).replace(/[:T]/g, "-");
  const what = request.source.kind === "events" ? "events" : request.source.report.kind;
  return `prism-${what}-${stamp}.${request.format === "ndjson" ? "ndjson" : request.format}`;
}
