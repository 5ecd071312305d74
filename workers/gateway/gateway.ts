/**
 * The Upstash-compatible REST produce endpoint the edge posts to: `POST /produce` with one
 * record or an array, Basic auth. It answers only after the bus acknowledged every record
 * (Kafka: idempotent producer, acks = all; embedded: DuckDB commit), so a 200 means durable.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Counter, Histogram, type Registry } from "prom-client";
import { z } from "zod";
import { TOPIC } from "../../src/core/events";
import type { Logger } from "../../src/platform/logger";
import { sameSecret } from "../../src/platform/internal-auth";
import type { Bus } from "../bus/types";
import { readBody, sendJson, sendTooLarge } from "../../src/platform/http";

/** The topics the edge may write: raw records and dead letters. */
const WRITABLE_TOPICS = new Set<string>([TOPIC.raw, TOPIC.dlq]);
const MAX_BODY_BYTES = 8 * 1024 * 1024;

const recordSchema = z.object({
  topic: z.string().refine((topic) => WRITABLE_TOPICS.has(topic), "is not a topic the gateway writes"),
  value: z.string().max(1024 * 1024),
  key: z.string().max(1024).optional(),
  partition: z.number().int().min(0).optional(),
  headers: z
    .array(z.object({ key: z.string().max(256), value: z.string().max(4096) }))
    .max(32)
    .optional(),
});
const bodySchema = z.union([recordSchema, z.array(recordSchema).min(1).max(10_000)]);

function passwordOf(req: IncomingMessage): string | null {
  const match = req.headers.authorization?.match(/^Basic\s+(\S+)$/i);
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon === -1 ? null : decoded.slice(colon + 1);
}

export function createGateway(opts: { bus: Bus; token: string; log: Logger; metrics: Registry }) {
  const ingested = new Counter({
    name: "ingest_events_total",
    help: "Records written for the edge: result=accepted (event.raw) or refused (event.dlq).",
    labelNames: ["result"],
    registers: [opts.metrics],
  });
  const produceErrors = new Counter({
    name: "kafka_produce_errors_total",
    help: "Produce calls that failed, so nothing was acknowledged.",
    registers: [opts.metrics],
  });
  const latency = new Histogram({
    name: "ingest_latency_seconds",
    help: "Time from the edge's produce request to the durable acknowledgement.",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [opts.metrics],
  });

  return async function produce(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const password = passwordOf(req);
    if (!password || !sameSecret(password, opts.token)) return sendJson(res, 401, { error: "Unauthorized" });
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === null) return sendTooLarge(req, res, { error: `Body over ${MAX_BODY_BYTES} bytes` });
    let parsed: z.infer<typeof bodySchema>;
    try {
      const result = bodySchema.safeParse(JSON.parse(body.toString("utf8")));
      if (!result.success) return sendJson(res, 400, { error: z.prettifyError(result.error) });
      parsed = result.data;
    } catch {
      return sendJson(res, 400, { error: "Body is not valid JSON" });
    }
    const records = Array.isArray(parsed) ? parsed : [parsed];
    const timer = latency.startTimer();
    try {
      const offsets = await opts.bus.produce(
        records.map((record) => ({
          topic: record.topic,
          value: record.value,
          key: record.key ?? null,
          partition: record.partition,
          headers: Object.fromEntries((record.headers ?? []).map((header) => [header.key, header.value])),
        })),
      );
      timer();
      for (const record of records) ingested.inc({ result: record.topic === TOPIC.dlq ? "refused" : "accepted" });
      const now = Date.now();
      sendJson(
        res,
        200,
        offsets.map((offset) => ({ topic: offset.topic, partition: offset.partition, offset: Number(offset.offset), timestamp: now })),
      );
    } catch (error) {
      produceErrors.inc();
      opts.log.error({ err: error, records: records.length }, "produce failed");
      sendJson(res, 503, { error: "The bus did not acknowledge the records; nothing was written." }, { "retry-after": "2" });
    }
  };
}
