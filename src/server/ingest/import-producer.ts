import type { OutgoingRecord } from "@edge/ingest";
import { upstashProducer } from "@edge/upstash-producer";
import { appEnv } from "~/server/env";

let producer: ((records: OutgoingRecord[]) => Promise<void>) | undefined;

/** Imports produce to event.raw exactly as live ingest does (src/server/ingest/edge-ingest.ts): the worker's gateway, or Upstash. */
export function importProducer(): (records: OutgoingRecord[]) => Promise<void> {
  if (producer) return producer;
  const env = appEnv();
  producer = upstashProducer({ url: env.GATEWAY_URL ?? env.WORKER_URL, username: "prism", password: env.GATEWAY_TOKEN });
  return producer;
}
