import type { PrismaClient } from "~/generated/prisma/client";
import type { ResolvedKey } from "~/core/tracking-plan";
import { resolvedKeySchema } from "~/core/tracking-plan";
import { hashSecret, sameHash } from "~/platform/tokens";
import { looksLikeApiKey } from "~/platform/api-keys";

const LAST_USED_GRANULARITY_MS = 60_000;

const projectPlanSelect = {
  id: true,
  organizationId: true,
  archivedAt: true,
  timezone: true,
  dataRetentionDays: true,
  maxCustomAttributes: true,
  allowedEventNames: true,
  planEnforcement: true,
  rateLimitPerSecond: true,
  eventTypes: { select: { name: true, fields: { select: { name: true, dataType: true, required: true } } } },
  attributes: { select: { entity: true, name: true, type: true, itemsType: true } },
} as const;

type ProjectPlanRow = {
  id: string;
  organizationId: string;
  archivedAt: Date | null;
  timezone: string;
  dataRetentionDays: number;
  maxCustomAttributes: number;
  allowedEventNames: string[];
  planEnforcement: string;
  rateLimitPerSecond: number;
  eventTypes: Array<{ name: string; fields: Array<{ name: string; dataType: string; required: boolean }> }>;
  attributes: Array<{ entity: string; name: string; type: string; itemsType: string | null }>;
};

function planOf(keyId: string, project: ProjectPlanRow): ResolvedKey {
  return resolvedKeySchema.parse({
    keyId,
    project: {
      id: project.id,
      organizationId: project.organizationId,
      archived: project.archivedAt !== null,
      timezone: project.timezone,
      dataRetentionDays: project.dataRetentionDays,
      maxCustomAttributes: project.maxCustomAttributes,
      allowedEventNames: project.allowedEventNames,
      planEnforcement: project.planEnforcement,
      rateLimitPerSecond: project.rateLimitPerSecond,
    },
    eventTypes: project.eventTypes,
    attributes: project.attributes,
  });
}

/**
 * The project, settings and tracking plan an API key belongs to, for the edge to cache.
 * Null for an unknown or revoked key. Reads Postgres every time, so a revocation is immediate here.
 */
export async function resolveApiKey(db: PrismaClient, secret: string): Promise<ResolvedKey | null> {
  if (!looksLikeApiKey(secret)) return null;
  const secretHash = hashSecret(secret);
  const key = await db.apiKey.findUnique({
    where: { secretHash },
    select: { id: true, secretHash: true, revokedAt: true, lastUsedAt: true, project: { select: projectPlanSelect } },
  });
  if (!key || key.revokedAt || !sameHash(key.secretHash, secretHash)) return null;
  if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > LAST_USED_GRANULARITY_MS) {
    await db.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: new Date() } });
  }
  return planOf(key.id, key.project);
}

/** A project's current plan without a key: for replaying dead letters on an admin's behalf. */
export async function resolveProjectPlan(db: PrismaClient, projectId: string): Promise<ResolvedKey | null> {
  const project = await db.project.findUnique({ where: { id: projectId }, select: projectPlanSelect });
  return project ? planOf("replay", project) : null;
}
