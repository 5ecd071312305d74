/**
 * Explicit merge of two known ids (src/core/identity.ts): the only way two identified users become
 * one person, since an identify never merges them. The request travels on event.raw like any
 * profile record, keyed by the surviving id, and the processor applies it in order with that id's
 * events; the answer means "durable on the bus", the merge shows in reports once processed.
 */
import type { OutgoingRecord } from "@edge/ingest";
import { upstashProducer } from "@edge/upstash-producer";
import type { ProfileRecord } from "~/core/events";
import { rawRecordOf } from "~/core/ingest/judge";
import { uuidv7 } from "~/core/ingest/uuidv7";
import type { PrismaClient } from "~/generated/prisma/client";
import { appEnv } from "~/server/env";

type Produce = (records: OutgoingRecord[]) => Promise<void>;

let producer: Produce | undefined;
let override: Produce | null = null;

/** Tests point the merge at their worker's gateway. */
export function setMergeProducer(produce: Produce | null): void {
  override = produce;
}

function mergeProducer(): Produce {
  if (override) return override;
  if (producer) return producer;
  const env = appEnv();
  producer = upstashProducer({ url: env.GATEWAY_URL ?? env.WORKER_URL, username: "prism", password: env.GATEWAY_TOKEN });
  return producer;
}

/** Asks for `from`'s person to become part of `into`'s (into's props win); returns the request's id. */
export async function requestMerge(opts: { projectId: string; from: string; into: string; now?: number }): Promise<{ mergeId: string }> {
  const now = opts.now ?? Date.now();
  const record: ProfileRecord = {
    type: "profile",
    event_id: `merge-${uuidv7(now)}`,
    project_id: opts.projectId,
    profile_id: opts.into,
    sts: now,
    set: {},
    set_once: {},
    unset: [],
    merge: { from: opts.from, explicit: true },
  };
  await mergeProducer()([rawRecordOf(record, record.event_id)]);
  return { mergeId: record.event_id };
}

/**
 * Every id of the person `profileId` belongs to (its person, the ids merged into it, and itself),
 * from the processor's overrides: what deleting that profile must cover.
 */
export async function personIdsOf(db: PrismaClient, projectId: string, profileId: string): Promise<string[]> {
  const override = await db.personOverride.findUnique({ where: { projectId_distinctId: { projectId, distinctId: profileId } }, select: { personId: true } });
  const person = override?.personId ?? profileId;
  const merged = await db.personOverride.findMany({ where: { projectId, personId: person }, select: { distinctId: true } });
  return [...new Set([profileId, person, ...merged.map((row) => row.distinctId)])];
}
