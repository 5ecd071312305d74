import { Kafka } from "@upstash/kafka";
import type { OutgoingRecord } from "./ingest";

/**
 * Produces over HTTP to an Upstash-compatible REST endpoint (our workers/gateway, or Upstash).
 * The gateway answers only after the records are durable. The client retries failed posts on
 * its own, so the ingest handler bounds the call; a post retried after that can land twice,
 * which consumers absorb by treating event_id as the idempotency key.
 */
export function upstashProducer(opts: { url: string; username: string; password: string }) {
  const producer = new Kafka({ url: opts.url, username: opts.username, password: opts.password }).producer();
  return async (records: OutgoingRecord[]): Promise<void> => {
    await producer.produceMany(
      records.map((record) => ({
        topic: record.topic,
        value: record.value,
        key: record.key,
        headers: Object.entries(record.headers).map(([key, value]) => ({ key, value })),
      })),
    );
  };
}
