/** Prism's topics and their partition counts; the embedded log uses these unless told otherwise. */
export const TOPIC_PARTITIONS: Readonly<Record<string, number>> = Object.freeze({
  "event.raw": 4,
  "event.enriched": 4,
  "event.triggered": 4,
  "event.dlq": 2,
});

export const TOPICS = Object.freeze({
  raw: "event.raw",
  enriched: "event.enriched",
  triggered: "event.triggered",
  dlq: "event.dlq",
} as const);
