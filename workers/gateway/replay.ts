import type { IncomingMessage, ServerResponse } from "node:http";
import { REPLAY_PATH, replayRequestSchema, type ReplayAnswer, type ReplayOutcome } from "../../src/contracts/dead-letter-replay";
import { decodeAvro, TOPIC_OF_KIND } from "../../src/contracts/wire/codec";
import { TOPIC } from "../../src/core/events";
import { judgeBatch, rawRecordOf } from "../../src/core/ingest/judge";
import type { PrismaClient } from "../../src/generated/prisma/client";
import type { Logger } from "../../src/platform/logger";
import { sameSecret } from "../../src/platform/internal-auth";
import { resolveProjectPlan } from "../../src/platform/resolve-key";
import type { ProduceRecord } from "../bus/types";
import { readBody, sendTooLarge } from "../../src/platform/http";
import { sendJson } from "../http-server";
import { buildDeadLetterPayloads, buildMarkReplayed, storedLetterOf } from "../query/browse";
import type { QueryRunner } from "../query/runner";

export { REPLAY_PATH };

export interface ReplayDeps {
  db: PrismaClient;
  /** The DuckDB the sink stores dead letters in. */
  runner: QueryRunner;
  /** Resolves once every record is durable on the bus. */
  produce(records: ProduceRecord[]): Promise<unknown>;
  now?: () => number;
}

/** Topics a consumer's record may be put back on. */
const RECORD_TOPICS = new Set<string>([TOPIC.raw, TOPIC.enriched, TOPIC.triggered]);
const REPLAY_HEADERS = { "prism-source": "replay" };

/** A record claims its project in `project_id`; only the project's own records are put back. */
function belongsTo(value: string, projectId: string): boolean {
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === "object" && parsed !== null && "project_id" in parsed && parsed.project_id === projectId;
  } catch {
    return false;
  }
}

/**
 * Replays a project's dead letters: ingest's refusals go through ingest's judgement again, against
 * the project's current tracking plan (a payload refused again is not dead-lettered again: its
 * letter stays, unreplayed); a consumer's letters (a record it could not handle, replayed after a
 * fix) go back on the topic they were read from, exactly as they were; a webhook delivery's letter
 * makes the delivery pending again. Only letters of `projectId` are read. The replayed letters are
 * marked once everything is durable; when a write fails this throws and nothing is marked.
 */
export async function replayDeadLetters(deps: ReplayDeps, projectId: string, ids: readonly string[]): Promise<ReplayOutcome[]> {
  const asked = [...new Set(ids)];
  const letters = (await deps.runner.all(buildDeadLetterPayloads(projectId, asked))).map(storedLetterOf);
  const refused = new Map<string, string>();
  const replayed: string[] = [];
  const out: ProduceRecord[] = [];

  const ingest = letters.filter((letter) => letter.stage === null);
  if (ingest.length > 0) {
    const plan = await resolveProjectPlan(deps.db, projectId);
    if (!plan || plan.project.archived) {
      const reason = plan ? "the project is archived; unarchive it to replay its events" : "the project no longer exists";
      for (const letter of ingest) refused.set(letter.dlqId, reason);
    } else {
      const traceId = crypto.randomUUID();
      const payloads = ingest.map((letter) => JSON.parse(letter.payloadJson) as unknown);
      const judgement = judgeBatch(payloads, "event", { plan, receivedAt: (deps.now ?? Date.now)(), requestCtx: {} });
      for (const { index, record } of judgement.accepted) {
        const raw = rawRecordOf(record, traceId);
        out.push({ ...raw, headers: { ...raw.headers, ...REPLAY_HEADERS } });
        replayed.push(ingest[index]!.dlqId);
      }
      for (const refusal of judgement.refused) refused.set(ingest[refusal.index]!.dlqId, refusal.reason);
    }
  }

  const deliveries: typeof letters = [];
  for (const letter of letters) {
    if (letter.stage === null) continue;
    const origin = letter.origin;
    if (letter.stage === "webhooks" && origin?.topic === "webhook_deliveries") {
      deliveries.push(letter);
    } else if (!origin || !RECORD_TOPICS.has(origin.topic)) {
      refused.set(letter.dlqId, "this letter cannot be replayed, only discarded");
    } else if (letter.payloadEncoding !== "utf8") {
      // An Avro record (src/contracts/wire) goes back as JSON, which every bus carries and every consumer reads.
      const avro = decodeAvro(Buffer.from(String(JSON.parse(letter.payloadJson)), "base64"));
      if (!avro.ok) refused.set(letter.dlqId, "the record is not valid UTF-8; it cannot be replayed, only discarded");
      else if (TOPIC_OF_KIND[avro.kind] !== origin.topic || avro.record.project_id !== projectId) {
        refused.set(letter.dlqId, "the record is not of this project; it cannot be replayed, only discarded");
      } else {
        out.push({ topic: origin.topic, key: origin.key, value: JSON.stringify(avro.record), headers: REPLAY_HEADERS });
        replayed.push(letter.dlqId);
      }
    } else {
      const value = String(JSON.parse(letter.payloadJson));
      if (!belongsTo(value, projectId)) {
        refused.set(letter.dlqId, "the record is not JSON of this project; it cannot be replayed, only discarded");
      } else {
        out.push({ topic: origin.topic, key: origin.key, value, headers: REPLAY_HEADERS });
        replayed.push(letter.dlqId);
      }
    }
  }

  if (out.length > 0) await deps.produce(out);
  for (const letter of deliveries) {
    const { count } = await deps.db.webhookDelivery.updateMany({
      where: { id: letter.origin!.offset, projectId },
      data: { status: "pending", nextAttemptAt: new Date(), lastError: null },
    });
    if (count === 1) replayed.push(letter.dlqId);
    else refused.set(letter.dlqId, "the webhook delivery no longer exists");
  }
  if (replayed.length > 0) await deps.runner.change(buildMarkReplayed(projectId, replayed));

  const found = new Set(letters.map((letter) => letter.dlqId));
  return asked.map((dlqId): ReplayOutcome => {
    if (!found.has(dlqId)) return { dlqId, outcome: "missing" };
    const reason = refused.get(dlqId);
    return reason === undefined ? { dlqId, outcome: "replayed" } : { dlqId, outcome: "refused", reason };
  });
}

/** Replay requests name at most 100 ids. */
const MAX_BODY = 64 * 1024;

/**
 * POST /internal/replay `{projectId, ids}` → `{outcomes}`: the app calls it for an admin of the
 * project, with the internal secret. 503 when the bus or a store failed (nothing marked replayed).
 */
export function createReplayHandler(opts: ReplayDeps & { secret: string; log: Logger }) {
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (!sameSecret(req.headers["x-internal-secret"] as string | undefined, opts.secret)) {
      return sendJson(res, 401, { error: "unauthorized", message: "Internal endpoint: send X-Internal-Secret." });
    }
    const raw = await readBody(req, MAX_BODY);
    if (raw === null) return sendTooLarge(req, res, { error: "payload_too_large", message: `Body over ${MAX_BODY} bytes.` });
    let body: unknown;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch {
      return sendJson(res, 400, { error: "malformed", message: "The body is not valid JSON." });
    }
    const parsed = replayRequestSchema.safeParse(body);
    if (!parsed.success) return sendJson(res, 400, { error: "malformed", message: parsed.error.issues[0]?.message ?? "invalid request" });
    try {
      const answer: ReplayAnswer = { outcomes: await replayDeadLetters(opts, parsed.data.projectId, parsed.data.ids) };
      sendJson(res, 200, answer);
    } catch (error) {
      opts.log.error({ err: error, projectId: parsed.data.projectId }, "replay failed");
      sendJson(res, 503, { error: "unavailable", message: "The replay did not complete; nothing was marked as replayed." }, { "retry-after": "2" });
    }
  };
}
