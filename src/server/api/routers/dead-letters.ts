/**
 * Dead letters: refused events as the query service stores them, and replay. Replay sends the
 * stored payloads through ingest again (POST {WORKER_URL}/internal/replay, the same validation as
 * the public API against the current tracking plan), then marks the accepted ones as replayed.
 */
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { VIOLATION_TYPES } from "~/domain/events";
import { createTRPCRouter, projectProcedure } from "~/server/api/trpc";
import { callQueryService, queryServiceTarget } from "~/server/query-client";

/** What POST /internal/replay answers: the ingest batch answer (`errors` index into the payloads sent). */
const replayAnswerSchema = z.object({
  accepted: z.number().int().min(0),
  errors: z.array(z.object({ index: z.number().int().min(0), reason: z.string() })).default([]),
});

export const deadLettersRouter = createTRPCRouter({
  list: projectProcedure("viewer", {
    reason: z.enum(VIOLATION_TYPES).nullable().default(null),
    cursor: z
      .strictObject({ receivedAt: z.iso.datetime({ offset: true }), dlqId: z.string().min(1).max(200) })
      .nullable()
      .default(null),
    limit: z.number().int().min(1).max(200).default(50),
  }).query(({ ctx, input }) =>
    callQueryService((service) =>
      service.deadLetters.list.query({ projectId: ctx.project.id, reason: input.reason, cursor: input.cursor, limit: input.limit }),
    ),
  ),

  replay: projectProcedure("admin", { ids: z.array(z.string().min(1).max(200)).min(1).max(100) }).mutation(async ({ ctx, input }) => {
    const letters = await callQueryService((service) => service.deadLetters.get.query({ projectId: ctx.project.id, ids: input.ids }));
    if (letters.length === 0) throw new TRPCError({ code: "NOT_FOUND", message: "None of these dead letters exist in this project." });
    const target = queryServiceTarget();
    let response: Response;
    try {
      response = await fetch(`${target.url.replace(/\/$/, "")}/internal/replay`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-internal-secret": target.secret },
        body: JSON.stringify({ projectId: ctx.project.id, payloads: letters.map((letter) => letter.payload) }),
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
    const refusedIndexes = new Map(parsed.data.errors.map((error) => [error.index, error.reason]));
    const accepted = letters.filter((_, index) => !refusedIndexes.has(index)).map((letter) => letter.dlqId);
    if (accepted.length > 0) await callQueryService((service) => service.deadLetters.markReplayed.mutate({ projectId: ctx.project.id, ids: accepted }));
    return {
      accepted: accepted.length,
      /** Refused again (the payload still breaks the plan); these letters stay as they are, unreplayed. */
      refused: letters.flatMap((letter, index) => (refusedIndexes.has(index) ? [{ dlqId: letter.dlqId, reason: refusedIndexes.get(index)! }] : [])),
      missing: input.ids.filter((id) => !letters.some((letter) => letter.dlqId === id)),
    };
  }),
});
