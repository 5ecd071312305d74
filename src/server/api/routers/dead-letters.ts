/**
 * Dead letters: events ingest refused and records a consumer could not handle, as the query service
 * stores them; replay and discard. Replay is one call to the worker (POST {WORKER_URL}/internal/replay
 * with the ids): it reads the letters, validates ingest's payloads again against the current tracking
 * plan, puts a consumer's records back on their topic, and marks what it replayed.
 */
import { TRPCError } from "@trpc/server";
import { REPLAY_PATH, replayAnswerSchema, type ReplayAnswer } from "~/contracts/dead-letter-replay";
import { queryInputs } from "~/contracts/query-service";
import { createTRPCRouter, projectProcedure } from "~/server/api/trpc";
import { callQueryService, queryServiceTarget } from "~/server/query-client";

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
    const { outcomes } = await postReplay({ projectId: ctx.project.id, ids: input.ids });
    if (outcomes.every((outcome) => outcome.outcome === "missing"))
      throw new TRPCError({ code: "NOT_FOUND", message: "None of these dead letters exist in this project." });
    return {
      accepted: outcomes.filter((outcome) => outcome.outcome === "replayed").length,
      /** Refused again (the payload still breaks the plan, or cannot be replayed); these letters stay as they are, unreplayed. */
      refused: outcomes.flatMap((outcome) => (outcome.outcome === "refused" ? [{ dlqId: outcome.dlqId, reason: outcome.reason }] : [])),
      missing: outcomes.flatMap((outcome) => (outcome.outcome === "missing" ? [outcome.dlqId] : [])),
    };
  }),

  /** Drops letters that need nothing more (a test record, a record no fix will save); they leave the list. */
  discard: projectProcedure("admin", queryInputs.deadLetters.ids).mutation(({ ctx, input }) =>
    callQueryService((service) => service.deadLetters.discard.mutate({ projectId: ctx.project.id, ids: input.ids })),
  ),
});

/** The worker's replay of these letters; nothing is marked as replayed when this throws. */
async function postReplay(body: { projectId: string; ids: string[] }): Promise<ReplayAnswer> {
  const target = queryServiceTarget();
  let response: Response;
  try {
    response = await fetch(`${target.url.replace(/\/$/, "")}${REPLAY_PATH}`, {
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
  if (!response.ok || !parsed.success) {
    throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: `Replay failed (the worker answered ${response.status}); nothing was marked as replayed.` });
  }
  return parsed.data;
}
