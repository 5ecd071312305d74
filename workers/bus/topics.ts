import { TOPIC } from "../../src/core/events";

/** Prism's topics and their partition counts; the embedded log uses these unless told otherwise. */
export const TOPIC_PARTITIONS: Readonly<Record<string, number>> = Object.freeze({
  [TOPIC.raw]: 4,
  [TOPIC.enriched]: 4,
  [TOPIC.triggered]: 4,
  [TOPIC.dlq]: 2,
});

const DAY_MS = 86_400_000;

/** The designed retention of each topic on Kafka (`retention.ms`); firings and dead letters are kept longer for replay. */
export const TOPIC_RETENTION_MS: Readonly<Record<string, number>> = Object.freeze({
  [TOPIC.raw]: 7 * DAY_MS,
  [TOPIC.enriched]: 7 * DAY_MS,
  [TOPIC.triggered]: 30 * DAY_MS,
  [TOPIC.dlq]: 30 * DAY_MS,
});

export const TOPICS = TOPIC;
