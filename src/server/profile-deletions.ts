/**
 * The app's side of GDPR deletion: queues a job for the worker that owns DuckDB
 * (workers/sink/erase.ts) and reads jobs back as progress and as the project's audit record.
 *
 * The audit keeps who asked, when, and the counts removed, but not the deleted id: only an
 * HMAC-SHA256 of each id under a random salt of the record's own. Whoever holds an id (the person,
 * a regulator) can check that it was deleted and when (`digestMatches`); the table alone names
 * nobody, and two deletions of the same id cannot be linked to each other without the id.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { TRPCError } from "@trpc/server";
import type { Prisma, PrismaClient } from "~/generated/prisma/client";
import { initialDeletionSteps, parseDeletionSteps, type ProfileDeletionStatus } from "~/contracts/profile-deletion";

export function digestProfileId(salt: string, profileId: string): string {
  return createHmac("sha256", salt).update(profileId, "utf8").digest("hex");
}

/** Whether `profileId` is one of the ids a record's digests stand for. */
export function digestMatches(record: { salt: string; idDigests: string[] }, profileId: string): boolean {
  const digest = Buffer.from(digestProfileId(record.salt, profileId), "hex");
  return record.idDigests.some((stored) => {
    const candidate = Buffer.from(stored, "hex");
    return candidate.length === digest.length && timingSafeEqual(candidate, digest);
  });
}

/**
 * Queues the deletion of one person's ids in a project. A job already queued, running or failed for
 * the same id is returned instead (a failed one queued again), so a double click makes one job.
 */
export async function startProfileDeletion(
  db: PrismaClient,
  opts: { projectId: string; profileIds: string[]; requestedBy: { id: string; email: string } },
): Promise<{ deletionId: string }> {
  const profileIds = [...new Set(opts.profileIds)];
  const open = await db.profileDeletion.findFirst({
    where: { projectId: opts.projectId, status: { in: ["pending", "running", "failed"] }, profileIds: { hasSome: profileIds } },
    select: { id: true, status: true },
  });
  if (open) {
    if (open.status === "failed") await db.profileDeletion.update({ where: { id: open.id }, data: { status: "pending", attempts: 0, error: null } });
    return { deletionId: open.id };
  }
  const salt = randomBytes(16).toString("hex");
  const created = await db.profileDeletion.create({
    data: {
      projectId: opts.projectId,
      profileIds,
      idDigests: profileIds.map((id) => digestProfileId(salt, id)),
      salt,
      requestedById: opts.requestedBy.id,
      requestedByEmail: opts.requestedBy.email,
      steps: initialDeletionSteps(),
    },
    select: { id: true },
  });
  return { deletionId: created.id };
}

const VIEW = {
  id: true,
  status: true,
  steps: true,
  error: true,
  requestedByEmail: true,
  idDigests: true,
  createdAt: true,
  startedAt: true,
  finishedAt: true,
} as const;

type Stored = Prisma.ProfileDeletionGetPayload<{ select: typeof VIEW }>;

/** A job as the UI shows it: never the ids, only a short fingerprint of the first digest. */
function toView(row: Stored) {
  const steps = parseDeletionSteps(row.steps);
  return {
    deletionId: row.id,
    status: row.status as ProfileDeletionStatus,
    steps,
    stepsDone: steps.filter((step) => step.status === "done").length,
    removed: steps.reduce((sum, step) => sum + step.removed, 0),
    error: row.error,
    requestedBy: row.requestedByEmail,
    fingerprint: row.idDigests[0]?.slice(0, 12) ?? "",
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
  };
}
export type ProfileDeletionView = ReturnType<typeof toView>;

export async function readProfileDeletion(db: PrismaClient, projectId: string, deletionId: string): Promise<ProfileDeletionView> {
  // Scoped by project: another tenant's job id reads as missing.
  const row = await db.profileDeletion.findFirst({ where: { id: deletionId, projectId }, select: VIEW });
  if (!row) throw new TRPCError({ code: "NOT_FOUND", message: "Deletion not found." });
  return toView(row);
}

/** The project's deletions, newest first: the audit record. */
export async function listProfileDeletions(db: PrismaClient, projectId: string, limit = 100): Promise<ProfileDeletionView[]> {
  const rows = await db.profileDeletion.findMany({ where: { projectId }, orderBy: { createdAt: "desc" }, take: limit, select: VIEW });
  return rows.map(toView);
}

/** The audit records whose digests match an id: "was this person deleted, when and by whom?" */
export async function findProfileDeletions(db: PrismaClient, projectId: string, profileId: string): Promise<ProfileDeletionView[]> {
  const rows = await db.profileDeletion.findMany({ where: { projectId }, orderBy: { createdAt: "desc" }, select: { ...VIEW, salt: true } });
  return rows.filter((row) => digestMatches(row, profileId)).map(toView);
}
