/**
 * POST {WORKER_URL}/internal/replay, declared once for the app (src/server/api/routers/dead-letters)
 * and the worker (workers/gateway/replay). The app sends only the letters' ids and the project it
 * authorised; the worker reads the letters, replays them and answers one outcome per id.
 */
import { z } from "zod";
import { queryServiceInputs } from "./query-service";

export const replayRequestSchema = queryServiceInputs.deadLetters.ids;
export type ReplayRequest = z.infer<typeof replayRequestSchema>;

const dlqId = z.string();
export const replayOutcomeSchema = z.discriminatedUnion("outcome", [
  /** Back on its topic (or its webhook delivery pending again), and marked as replayed. */
  z.object({ dlqId, outcome: z.literal("replayed") }),
  /** Refused again, or not replayable; the letter stays as it is, unreplayed. */
  z.object({ dlqId, outcome: z.literal("refused"), reason: z.string() }),
  /** No such letter in this project (or discarded). */
  z.object({ dlqId, outcome: z.literal("missing") }),
]);
export type ReplayOutcome = z.infer<typeof replayOutcomeSchema>;

/** In the order of the ids asked for. */
export const replayAnswerSchema = z.object({ outcomes: z.array(replayOutcomeSchema) });
export type ReplayAnswer = z.infer<typeof replayAnswerSchema>;

/** The internal endpoint's path on the worker. */
export const REPLAY_PATH = "/internal/replay";
