/**
 * kafkajs 2.2.4 groups a send's messages by partition with `[...current, message]` for every
 * message, which is quadratic in the messages per partition: a processor batch of a few thousand
 * outputs, all for one partition, spent most of its produce time copying arrays. This replaces that
 * one internal function with a linear one of the same contract before kafkajs loads it. Imported
 * for its side effect, ahead of "kafkajs" (see kafka-bus.ts).
 */
import { createRequire } from "node:module";

type Partitioner = (args: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number;

function groupMessagesPerPartition(opts: { topic: string; partitionMetadata: unknown[]; messages: unknown[]; partitioner: Partitioner }) {
  const result: Record<number, unknown[]> = {};
  if (opts.partitionMetadata.length === 0) return result;
  for (const message of opts.messages) {
    const partition = opts.partitioner({ topic: opts.topic, partitionMetadata: opts.partitionMetadata, message });
    (result[partition] ??= []).push(message);
  }
  return result;
}

const require = createRequire(import.meta.url);
const modulePath = require.resolve("kafkajs/src/producer/groupMessagesPerPartition.js");
require(modulePath);
const cached = require.cache[modulePath];
if (cached) cached.exports = groupMessagesPerPartition;
