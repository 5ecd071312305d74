import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import "./kafka-bus";

type Grouping = (opts: {
  topic: string;
  partitionMetadata: unknown[];
  messages: unknown[];
  partitioner: (args: { message: unknown }) => number;
}) => Record<number, unknown[]>;

describe("kafkajs message grouping", () => {
  it("is replaced by a linear version that keeps each partition's messages in order", () => {
    const group = createRequire(import.meta.url)("kafkajs/src/producer/groupMessagesPerPartition.js") as Grouping;
    expect(group.name).toBe("groupMessagesPerPartition");
    const messages = Array.from({ length: 50_000 }, (_, i) => ({ i }));
    const grouped = group({ topic: "t", partitionMetadata: [{}, {}], messages, partitioner: ({ message }) => (message as { i: number }).i % 2 });
    expect(grouped[0]).toHaveLength(25_000);
    expect((grouped[1] as Array<{ i: number }>).slice(0, 3)).toEqual([{ i: 1 }, { i: 3 }, { i: 5 }]);
  });
});
