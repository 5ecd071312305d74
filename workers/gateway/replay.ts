import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { createIngestHandler, type OutgoingRecord } from "../../edge/ingest";
import { TOPIC } from "../../src/core/events";
import type { PrismaClient } from "../../src/generated/prisma/client";
import { resolveProjectPlan } from "../../src/platform/resolve-key";
import { sameSecret } from "../../src/platform/internal-auth";
import { sendJson } from "../http-server";

const MAX_BODY = 8 * 1024 * 1024;
const replayRequestSchema = z.union([
  z.strictObject({ projectId: z.string().min(1).max(64), payloads: z.array(z.json()).min(1).max(100) }),
  /** A consumer's dead letters: the records as they were read, put back on their topic after a fix. */
  z.strictObject({
    projectId: z.string().min(1).max(64),
    records: z
      .array(z.strictObject({ topic: z.enum([TOPIC.raw, TOPIC.enriched, TOPIC.triggered]), key: z.string().max(1000).nullable(), value: z.string() }))
      .min(1)
      .max(100),
  }),
]);

/** A record claims its project in `project_id`; only the project's own records are put back. */
function belongsTo(value: string, projectId: string): boolean {
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === "object" && parsed !== null && "project_id" in parsed && parsed.project_id === projectId;
  } catch {
    return false;
  }
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * POST /internal/replay: re-sends dead-lettered payloads through the same ingest validation as
 * the public API, against the project's current tracking plan. Called by the app for an admin,
 * with the internal secret; answers what ingest answers for a batch (accepted and refused, by index).
 * Refused payloads are not dead-lettered again: the letter they came from stays, unreplayed.
 */
export function createReplayHandler(opts: {
  db: PrismaClient;
  secret: string;
  produce: (records: OutgoingRecord[]) => Promise<void>;
  /** Puts a consumer's records back on their topics, exactly as they were. */
  putBack: (records: Array<{ topic: string; key: string | null; value: string }>) => Promise<void>;
}) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (!sameSecret(req.headers["x-internal-secret"] as string | undefined, opts.secret)) {
      return sendJson(res, 401, { error: "unauthorized", message: "Internal endpoint: send X-Internal-Secret." });
    }
    const text = await readBody(req);
    if (text === null) return sendJson(res, 413, { error: "payload_too_large", message: `Body over ${MAX_BODY} bytes.` });
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return sendJson(res, 400, { error: "malformed", message: "The body is not valid JSON." });
    }
    const parsed = replayRequestSchema.safeParse(body);
    if (!parsed.success) return sendJson(res, 400, { error: "malformed", message: parsed.error.issues[0]?.message ?? "invalid request" });
    if ("records" in parsed.data) {
      const { projectId, records } = parsed.data;
      const errors = records.flatMap((record, index) =>
        belongsTo(record.value, projectId) ? [] : [{ index, reason: "the record is not JSON of this project; it cannot be replayed, only discarded" }],
      );
      const refused = new Set(errors.map((error) => error.index));
      const back = records.filter((_, index) => !refused.has(index));
      if (back.length > 0) await opts.putBack(back);
      return sendJson(res, 200, { accepted: back.length, errors });
    }
    const plan = await resolveProjectPlan(opts.db, parsed.data.projectId);
    if (!plan) return sendJson(res, 404, { error: "not_found", message: "No such project." });
    // The project's own rate limit does not apply to an admin's replay.
    const handler = createIngestHandler({
      resolveKey: async () => ({ ...plan, project: { ...plan.project, rateLimitPerSecond: 1_000_000 } }),
      // A payload refused again is already a dead letter: it stays that one, not a new copy per attempt.
      produce: (records) => opts.produce(records.filter((record) => record.topic !== TOPIC.dlq)),
    });
    const response = await handler.batch(
      new Request("http://internal/api/v1/events/batch", {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": "replay" },
        body: JSON.stringify(parsed.data.payloads),
      }),
    );
    sendJson(res, response.status, await response.json());
  };
}
