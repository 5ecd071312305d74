import type { ApiKeyKind } from "~/core/api-keys";
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

/** Records a use, at most once a minute per key, so a busy key does not write on every request. */
async function touch(db: PrismaClient, key: { id: string; lastUsedAt: Date | null }): Promise<void> {
  if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > LAST_USED_GRANULARITY_MS) {
    await db.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: new Date() } });
  }
}

/**
 * The project, settings and tracking plan a write (ingest) key belongs to, for the edge to cache.
 * Null for an unknown or revoked key, and for read and manage keys, which cannot ingest.
 * Reads Postgres every time, so a revocation is immediate here.
 */
export async function resolveApiKey(db: PrismaClient, secret: string): Promise<ResolvedKey | null> {
  if (!looksLikeApiKey(secret)) return null;
  const secretHash = hashSecret(secret);
  const key = await db.apiKey.findUnique({
    where: { secretHash },
    select: { id: true, kind: true, secretHash: true, revokedAt: true, lastUsedAt: true, project: { select: projectPlanSelect } },
  });
  if (!key?.project || key.revokedAt || key.kind !== "write" || !sameHash(key.secretHash, secretHash)) return null;
  await touch(db, key);
  return planOf(key.id, key.project);
}

/**
 * A live key of any kind with what it is bound to: what the public REST API authenticates.
 * `projectId` is null for an organisation key (a manage key of every project of `organizationId`).
 */
export interface ScopedKey {
  keyId: string;
  kind: ApiKeyKind;
  projectId: string | null;
  organizationId: string;
}

/** The key behind a secret, or null when unknown or revoked; records the use like resolveApiKey. */
export async function resolveScopedKey(db: PrismaClient, secret: string): Promise<ScopedKey | null> {
  if (!looksLikeApiKey(secret)) return null;
  const secretHash = hashSecret(secret);
  const key = await db.apiKey.findUnique({
    where: { secretHash },
    select: {
      id: true,
      kind: true,
      secretHash: true,
      revokedAt: true,
      lastUsedAt: true,
      organizationId: true,
      project: { select: { id: true, organizationId: true } },
    },
  });
  if (!key || key.revokedAt || !sameHash(key.secretHash, secretHash)) return null;
  // The database cannot check that exactly one owner is set; a key with neither (or an organisation key that is not manage) is no key.
  const organizationId = key.project?.organizationId ?? key.organizationId;
  if (!organizationId || (!key.project && key.kind !== "manage")) return null;
  await touch(db, key);
  return { keyId: key.id, kind: key.kind, projectId: key.project?.id ?? null, organizationId };
}

/** A project's current plan without a key: for replaying dead letters on an admin's behalf. */
export async function resolveProjectPlan(db: PrismaClient, projectId: string): Promise<ResolvedKey | null> {
  const project = await db.project.findUnique({ where: { id: projectId }, select: projectPlanSelect });
  return project ? planOf("replay", project) : null;
}
