/**
 * GDPR deletion of a profile: the job's steps as the worker (workers/sink/erase.ts) records them in
 * `profile_deletions.steps` and the app (src/server/profile-deletions.ts) reads them back.
 */
import { z } from "zod";

export const PROFILE_DELETION_STATUSES = ["pending", "running", "done", "failed"] as const;
export type ProfileDeletionStatus = (typeof PROFILE_DELETION_STATUSES)[number];

/**
 * Every place a profile leaves something behind, in the order the job clears them. Action results
 * go before their firings (they are found through the firings' ids); the profile row goes last of
 * DuckDB's, so an interrupted job still shows the profile and can be started again from its page.
 * Exports are streamed and never kept on disk, so they have no step. The identity rows (which id
 * was merged into which person, which ids identified) go too: they hold the ids themselves.
 */
export const PROFILE_DELETION_STEPS = [
  { store: "duckdb", table: "events" },
  { store: "duckdb", table: "profile_changes" },
  { store: "duckdb", table: "action_results" },
  { store: "duckdb", table: "trigger_logs" },
  { store: "duckdb", table: "dead_letters" },
  { store: "duckdb", table: "person_overrides" },
  { store: "duckdb", table: "cohort_members" },
  { store: "duckdb", table: "profiles" },
  { store: "postgres", table: "profile_state" },
  { store: "postgres", table: "webhook_deliveries" },
  { store: "postgres", table: "person_overrides" },
  { store: "postgres", table: "identified_profiles" },
] as const;
export type ProfileDeletionTable = (typeof PROFILE_DELETION_STEPS)[number]["table"];

export const profileDeletionStepSchema = z.object({
  store: z.enum(["duckdb", "postgres"]),
  table: z.enum(PROFILE_DELETION_STEPS.map((step) => step.table) as [ProfileDeletionTable, ...ProfileDeletionTable[]]),
  status: z.enum(["pending", "done"]),
  /** Rows removed by this step. */
  removed: z.number().int().min(0),
});
export type ProfileDeletionStep = z.infer<typeof profileDeletionStepSchema>;

/** The steps of a job that has not started: every one pending, nothing removed. */
export function initialDeletionSteps(): ProfileDeletionStep[] {
  return PROFILE_DELETION_STEPS.map((step) => ({ ...step, status: "pending", removed: 0 }));
}

/** Stored steps, read defensively: a row from an older layout shows as not started. */
export function parseDeletionSteps(value: unknown): ProfileDeletionStep[] {
  const parsed = z.array(profileDeletionStepSchema).safeParse(value);
  return parsed.success && parsed.data.length > 0 ? parsed.data : initialDeletionSteps();
}

/** A profile id as the query service takes it. */
export const deletionProfileIdSchema = z.string().min(1).max(256);
/**
 * The ids of one person that a job deletes together. One id today; identity merge will pass every
 * id merged into the person, which is why the job takes a set.
 */
export const deletionProfileIdsSchema = z.array(deletionProfileIdSchema).min(1).max(100);
