/**
 * The records on `event.triggered`, declared once for every process that writes or reads them: the
 * processor writes firings, the action runner writes each action's outcome to the same topic (so
 * the sink stores it beside the firing), and the runner and the sink tell them apart by `kind`.
 */
import { z } from "zod";
import { firingSchema } from "~/core/pipeline";

/** A firing. Firings written before `kind` existed (still on the topic after an upgrade) carry none: they are read as firings. */
export const firingRecordSchema = firingSchema.extend({ kind: z.literal("firing").default("firing") });
export type FiringRecord = z.infer<typeof firingRecordSchema>;

/** What became of one action of a firing. */
export const actionResultRecordSchema = z.object({
  kind: z.literal("action_result"),
  project_id: z.string().min(1),
  firing_id: z.string().min(1),
  action_index: z.number().int().min(0).max(2_147_483_647),
  action_type: z.string(),
  status: z.enum(["succeeded", "failed", "queued", "skipped"]),
  detail: z.string().max(2000),
  at: z.number().int(),
});
export type ActionResultRecord = z.infer<typeof actionResultRecordSchema>;

/** Any record of `event.triggered`, by its `kind`. */
export const triggeredRecordSchema = z.discriminatedUnion("kind", [firingRecordSchema, actionResultRecordSchema]);
export type TriggeredRecord = z.infer<typeof triggeredRecordSchema>;
