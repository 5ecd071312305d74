/**
 * Dead letters: events ingest refused and records a consumer could not handle, as the query service
 * stores them; replay and discard. Replay sends ingest's payloads through ingest again (POST
 * {WORKER_URL}/internal/replay, the same validation as the public API against the current tracking
 * plan) and puts a consumer's records back on their topic, then marks the accepted ones as replayed.
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { queryInputs } from "~/contracts/query-service";
import { createTRPCRouter, projectProcedure } from "~/server/api/trpc";
import { callQueryService, queryServiceTarget } from "~/server/query-client";

/** What POST /internal/replay answers: the ingest batch answer (`errors` index into the payloads sent). */
const replayAnswerSchema = z.object({
  accepted: z.number().int().min(0),
  errors: z.array(z.object({ index: z.number().int().min(0), reason: z.string() })).default([]),
});

export const deadLettersRouter = createTRPCRouter({
  list: projectProcedure("viewer", queryInputs.deadLetters.list).query(({ ctx, input }) =>
    callQueryService((service) =>
      service.deadLetters.list.query({ projectId: ctx.project.id, reason: input.reason, stage: input.stage, cursor: input.cursor, limit: input.limit }),
    ),
  ),

  /**
   * Ingest's letters go through ingest again; a consumer's letters (a record it could not handle,
   * replayed after a fix) go back on the topic they were read from, exactly as they were; a webhook
   * delivery's letter makes the delivery pending again.
   */
  replay: projectProcedure("admin", queryInputs.deadLetters.ids).mutation(async ({ ctx, input }) => {
    const letters = await callQueryService((service) => service.deadLetters.get.query({ projectId: ctx.project.id, ids: input.ids }));
    if (letters.length === 0) throw new TRPCError({ code: "NOT_FOUND", message: "None of these dead letters exist in this project." });
    const refused = new Map<string, string>();
    const accepted: string[] = [];

    const ingest = letters.filter((letter) => letter.stage === null);
    const records = letters.filter((letter) => letter.stage !== null && letter.origin && RECORD_TOPICS.has(letter.origin.topic));
    const deliveries = letters.filter((letter) => letter.stage === "webhooks" && letter.origin?.topic === "webhook_deliveries");
    for (const letter of letters) {
      if (!ingest.includes(letter) && !records.includes(letter) && !deliveries.includes(letter))
        refused.set(letter.dlqId, "this letter cannot be replayed, only discarded");
    }
    if (ingest.length > 0) {
      const answer = await postReplay({ projectId: ctx.project.id, payloads: ingest.map((letter) => JSON.parse(letter.payloadJson) as unknown) });
      ingest.forEach((letter, index) => (answer.refused.has(index) ? refused.set(letter.dlqId, answer.refused.get(index)!) : accepted.push(letter.dlqId)));
    }
    const texts = records.filter((letter) => {
      if (letter.payloadEncoding === "utf8") return true;
      refused.set(letter.dlqId, "the record is not valid UTF-8; it cannot be replayed, only discarded");
      return false;
    });
    if (texts.length > 0) {
      const answer = await postReplay({
        projectId: ctx.project.id,
        records: texts.map((letter) => ({ topic: letter.origin!.topic, key: letter.origin!.key, value: String(JSON.parse(letter.payloadJson)) })),
      });
      texts.forEach((letter, index) => (answer.refused.has(index) ? refused.set(letter.dlqId, answer.refused.get(index)!) : accepted.push(letter.dlqId)));
    }
    for (const letter of deliveries) {
      const { count } = await ctx.db.webhookDelivery.updateMany({
        where: { id: letter.origin!.offset, projectId: ctx.project.id },
        data: { status: "pending", nextAttemptAt: new Date(), lastError: null },
      });
      if (count === 1) accepted.push(letter.dlqId);
      else refused.set(letter.dlqId, "the webhook delivery no longer exists");
    }

    if (accepted.length > 0) await callQueryService((service) => service.deadLetters.markReplayed.mutate({ projectId: ctx.project.id, ids: accepted }));
    return {
      accepted: accepted.length,
      /** Refused again (the payload still breaks the plan, or cannot be replayed); these letters stay as they are, unreplayed. */
      refused: letters.flatMap((letter) => (refused.has(letter.dlqId) ? [{ dlqId: letter.dlqId, reason: refused.get(letter.dlqId)! }] : [])),
      missing: input.ids.filter((id) => !letters.some((letter) => letter.dlqId === id)),
    };
  }),

  /** Drops letters that need nothing more (a test record, a record no fix will save); they leave the list. */
  discard: projectProcedure("admin", queryInputs.deadLetters.ids).mutation(({ ctx, input }) =>
    callQueryService((service) => service.deadLetters.discard.mutate({ projectId: ctx.project.id, ids: input.ids })),
  ),
});

/** Topics a consumer's record may be put back on. */
const RECORD_TOPICS = new Set(["event.raw", "event.enriched", "event.triggered"]);

/** POST /internal/replay; refused indexes with their reasons. Nothing is marked replayed when this throws. */
async function postReplay(body: unknown): Promise<{ refused: Map<number, string> }> {
  const target = queryServiceTarget();
  let response: Response;
  try {
    response = await fetch(`${target.url.replace(/\/$/, "")}/internal/replay`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-internal-secret": target.secret },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    throw new TRPCError({
      code: "SERVICE_UNAVAILABLE",
      message: "The ingest service is not reachable right now; nothing was replayed. Retry shortly.",
      cause: error,
    });
  }
  const parsed = replayAnswerSchema.safeParse(await response.json().catch(() => null));
  if (!parsed.success || response.status >= 500 || response.status === 400 || response.status === 401 || response.status === 404) {
    throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: `Replay failed (ingest answered ${response.status}); nothing was marked as replayed.` });
  }
  return { refused: new Map(parsed.data.errors.map((error) => [error.index, error.reason])) };
}
