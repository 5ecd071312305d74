/**
 * The DuckDB query service, mounted by the worker that owns the DuckDB file (role sink or all):
 *   GET|POST /query/<procedure>  the tRPC router (superjson), for the app's typed client
 *   POST /query-export          streamed CSV / NDJSON / JSON of a report or of raw events
 * Both answer 401 unless the request carries the internal secret (X-Internal-Secret).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { DuckDBInstance } from "@duckdb/node-api";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import { Registry } from "prom-client";
import type { Logger } from "../../src/platform/logger";
import { sameSecret } from "../../src/platform/internal-auth";
import { readBody, sendJson, sendTooLarge, type RouteHandler } from "../../src/platform/http";
import { buildEventExport, CONTENT_TYPES, EVENT_EXPORT_COLUMNS, EVENT_EXPORT_JSON_COLUMNS, exportFilename, ExportWriter, reportTable } from "./export";
import { exportRequestSchema } from "../../src/contracts/query-service";
import { ReportInputError } from "./reports";
import { cohortContext, UnknownCohortError } from "./cohorts";
import { ReportCache, type ReportCacheOptions } from "./report-cache";
import { reportMetrics } from "./report-metrics";
import { queryRouter } from "./router";
import { DEFAULT_QUERY_LIMITS, QueryRunner, QueryTimeoutError, type QueryLimits } from "./runner";

export type { QueryRouter } from "./router";

export const SECRET_HEADER = "x-internal-secret";
const MAX_EXPORT_BODY = 256 * 1024;

export interface QueryService {
  /** Mount at "/query/*" for GET and POST. */
  handler: RouteHandler;
  /** Mount at "POST /query-export". */
  exportHandler: RouteHandler;
  runner: QueryRunner;
  /** The report cache, for tests and benchmarks. */
  reports: ReportCache;
  close(): Promise<void>;
}

export function createQueryService(opts: {
  duckdb: DuckDBInstance;
  secret: string;
  log: Logger;
  limits?: Partial<QueryLimits>;
  /** Where the reporting metrics go (the worker's /metrics); a private registry otherwise. */
  metrics?: Registry;
  cache?: Partial<ReportCacheOptions>;
}): QueryService {
  const metrics = reportMetrics(opts.metrics ?? new Registry());
  const runner = new QueryRunner(opts.duckdb, { ...DEFAULT_QUERY_LIMITS, ...opts.limits }, (delta) => metrics.connections.inc(delta));
  const log = opts.log;
  const reports = new ReportCache((q) => runner.all(q), metrics, opts.cache);
  const trpc = createHTTPHandler({
    router: queryRouter,
    basePath: "/query/",
    allowMethodOverride: true,
    createContext: () => ({ runner, log, metrics, reports }),
  });
  const authorised = (req: IncomingMessage) => sameSecret(req.headers[SECRET_HEADER] as string | undefined, opts.secret);
  const refuse = (res: ServerResponse) =>
    sendJson(res, 401, { error: "unauthorized", message: "The query service needs the internal secret (X-Internal-Secret)." });

  const handler: RouteHandler = (req, res) => {
    if (!authorised(req)) return refuse(res);
    trpc(req, res);
  };

  const exportHandler: RouteHandler = async (req, res) => {
    if (!authorised(req)) return refuse(res);
    const raw = await readBody(req, MAX_EXPORT_BODY);
    if (raw === null) return sendTooLarge(req, res, { error: "payload_too_large", message: `The export request is over ${MAX_EXPORT_BODY} bytes.` });
    let body: unknown;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      return sendJson(res, 400, { error: "malformed", message: "The export request is not valid JSON." });
    }
    const parsed = exportRequestSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return sendJson(res, 400, { error: "invalid", message: issue ? `${issue.path.join(".") || "request"}: ${issue.message}` : "Invalid export request." });
    }
    const request = parsed.data;
    const writer = new ExportWriter(res, request.format);
    const headers: Record<string, string> = {
      "content-type": CONTENT_TYPES[request.format],
      "content-disposition": `attachment; filename="${exportFilename(request)}"`,
      "cache-control": "no-store",
      trailer: "x-row-count",
    };
    try {
      if (request.source.kind === "events") {
        const built = buildEventExport(request.projectId, request.source.filter);
        const [count] = await runner.all(built.count);
        res.writeHead(200, { ...headers, "x-total-rows": String(Number(count?.n ?? 0)) });
        await runner.stream(
          built.rows,
          () => undefined,
          async (rows) => {
            if (writer.rows === 0) await writer.start(EVENT_EXPORT_COLUMNS, EVENT_EXPORT_JSON_COLUMNS);
            await writer.rowsOf(rows);
          },
        );
        if (writer.rows === 0) await writer.start(EVENT_EXPORT_COLUMNS, EVENT_EXPORT_JSON_COLUMNS);
      } else {
        const cohorts = cohortContext(request.cohorts);
        const table = await reportTable((q) => runner.all(q), request.projectId, request.timezone, request.source.report, cohorts);
        res.writeHead(200, { ...headers, "x-total-rows": String(table.rows.length) });
        await writer.start(table.columns);
        await writer.rowsOf(table.rows);
      }
      await writer.finish();
      res.addTrailers({ "x-row-count": String(writer.rows) });
      res.end();
    } catch (error) {
      if (!res.headersSent) {
        if (error instanceof QueryTimeoutError) return sendJson(res, 408, { error: "timeout", message: error.message });
        if (error instanceof ReportInputError || error instanceof UnknownCohortError) return sendJson(res, 400, { error: "invalid", message: error.message });
        throw error;
      }
      // Mid-stream: the only honest signal left is a broken response (no trailer, truncated body).
      log.warn({ err: error, rows: writer.rows }, "export stopped");
      res.destroy();
    }
  };

  return {
    handler,
    exportHandler,
    runner,
    reports,
    async close() {
      // Connections are per query and closed by each query; nothing is held between requests.
    },
  };
}
