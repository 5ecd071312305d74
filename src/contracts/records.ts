/**
 * The records on `event.triggered`, declared once for every process that writes or reads them: the
 * processor writes firings, the action runner writes each action's outcome to the same topic (so
 * the sink stores it beside the firing), and the runner and the sink tell them apart by `kind`.
 */
import { z } from "zod";
import { ALERT_CONDITIONS, alertActionSchema } from "~/core/alerts";
import { firingSchema } from "~/core/pipeline";
import { intervalSchema } from "~/core/reports";

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

/**
 * A metric alert turning to firing for one period (workers/alerts): the action runner runs its
 * actions as it runs a trigger firing's, with the same ids, deliveries and results. Its history is
 * the alert's state rows in PostgreSQL, so the sink stores nothing of it but the action results.
 */
export const alertFiringRecordSchema = z.object({
  kind: z.literal("alert_firing"),
  firing_id: z.string().min(1),
  project_id: z.string().min(1),
  alert_id: z.string().min(1),
  alert_name: z.string(),
  report_id: z.string().min(1),
  series_label: z.string(),
  condition: z.enum(ALERT_CONDITIONS),
  threshold: z.number().nullable(),
  k: z.number().nullable(),
  window: z.number().int().nullable(),
  interval: intervalSchema,
  /** The period's first instant (epoch ms) and its label in the project's time zone, as the report shows it. */
  period_start: z.number().int(),
  period_label: z.string(),
  value: z.number().nullable(),
  median: z.number().nullable(),
  mad: z.number().nullable(),
  detail: z.string().max(2000),
  fired_at: z.number().int(),
  actions: z.array(alertActionSchema),
});
export type AlertFiringRecord = z.infer<typeof alertFiringRecordSchema>;

/** Any record of `event.triggered`, by its `kind`. */
export const triggeredRecordSchema = z.discriminatedUnion("kind", [firingRecordSchema, actionResultRecordSchema, alertFiringRecordSchema]);
export type TriggeredRecord = z.infer<typeof triggeredRecordSchema>;
