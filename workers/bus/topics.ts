import { TOPIC } from "../../src/core/events";

/** Prism's topics and their partition counts; the embedded log uses these unless told otherwise. */
export const TOPIC_PARTITIONS: Readonly<Record<string, number>> = Object.freeze({
  [TOPIC.raw]: 4,
  [TOPIC.enriched]: 4,
  [TOPIC.triggered]: 4,
  [TOPIC.dlq]: 2,
});

export const TOPICS = TOPIC;
