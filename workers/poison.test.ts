import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { BatchContext, BusMessage, ProduceRecord } from "./bus/types";
import { classifyFailure, consumerDeadLetter, isolatePoison, isolatingBatchHandler, reasonOf, RecordError, TransientError } from "./poison";

const noSleep = async () => undefined;

describe("isolatePoison", () => {
  it("handles every valid record exactly once, dead-letters every poison record exactly once, in order and within the bound", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: 0, maxLength: 300 }), fc.integer({ min: 1, max: 4 }), async (poison, loneAttempts) => {
        const items = poison.map((bad, index) => ({ index, bad }));
        const handled: number[] = [];
        const dead: number[] = [];
        const report = await isolatePoison(items, {
          loneAttempts,
          sleep: noSleep,
          // Like a transaction: a slice with a poison record fails as a whole and handles nothing.
          handle: async (slice) => {
            const bad = slice.find((item) => item.bad);
            if (bad) throw new Error(`record ${bad.index} is poison`);
            handled.push(...slice.map((item) => item.index));
          },
          deadLetter: async (poisoned) => {
            dead.push(...poisoned.map(({ item }) => item.index));
            for (const { item, error } of poisoned) expect(String(error)).toContain(`record ${item.index} is poison`);
          },
        });
        const valid = items.filter((item) => !item.bad).map((item) => item.index);
        const bad = items.filter((item) => item.bad).map((item) => item.index);
        expect(handled).toEqual(valid); // each once, in the batch's order
        expect(dead).toEqual(bad);
        expect(report.deadLettered).toBe(bad.length);
        const depth = Math.ceil(Math.log2(Math.max(items.length, 1)));
        expect(report.attempts).toBeLessThanOrEqual(1 + 2 * bad.length * depth + bad.length * (loneAttempts - 1));
      }),
      { numRuns: 200 },
    );
  });

  it("rethrows a transient failure without dead-lettering anything, so the bus delivers the batch again", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 50 }), fc.integer({ min: 1, max: 20 }), async (poison, failAt) => {
        let calls = 0;
        const dead: unknown[] = [];
        const run = isolatePoison(
          poison.map((bad, index) => ({ index, bad })),
          {
            sleep: noSleep,
            handle: async (slice) => {
              if (++calls === failAt) throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
              if (slice.some((item) => item.bad)) throw new Error("poison");
            },
            deadLetter: async (poisoned) => void dead.push(...poisoned),
          },
        );
        const outcome = await run.then(
          () => null,
          (error: unknown) => error,
        );
        // Either the outage struck during the batch (rethrown, nothing dead-lettered) or the batch finished first.
        if (outcome !== null) {
          expect(classifyFailure(outcome)).toBe("transient");
          expect(dead).toEqual([]);
        } else expect(calls).toBeLessThan(failAt);
      }),
      { numRuns: 100 },
    );
  });

  it("gives a lone record a bounded handful of attempts, so a record that fails once is not dead-lettered", async () => {
    const attempts: number[] = [];
    let failures = 0;
    const report = await isolatePoison([1, 2, 3], {
      sleep: noSleep,
      handle: async (slice) => {
        attempts.push(slice.length);
        if (slice.includes(2) && failures++ < 2) throw new Error("flaky for record 2");
      },
      deadLetter: async () => expect.unreachable("nothing is poison"),
    });
    expect(report).toEqual({ attempts: 5, deadLettered: 0 });
    expect(attempts).toEqual([3, 2, 1, 1, 1]);
  });
});

describe("classifyFailure", () => {
  const pg = (code: string, message = "error") => Object.assign(new Error(message), { code });

  it("calls a dependency that is down, full or overloaded transient", () => {
    for (const error of [
      pg("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432"),
      pg("ECONNRESET"),
      pg("ENOSPC", "no space left on device"),
      pg("57P01", "terminating connection due to administrator command"),
      pg("53300", "sorry, too many clients already"),
      pg("08006"),
      pg("40P01", "deadlock detected"),
      new Error("Connection terminated unexpectedly"),
      new Error("IO Error: Could not write file"),
      Object.assign(new Error("Connection timeout"), { name: "KafkaJSConnectionError" }),
      Object.assign(new Error("Broker not available"), { name: "KafkaJSProtocolError", retriable: true }),
      Object.assign(new Error("retries exhausted"), { name: "KafkaJSNumberOfRetriesExceeded" }),
      new Error("wrapped", { cause: pg("ETIMEDOUT") }),
      new TransientError("stopping"),
    ])
      expect(classifyFailure(error), String(error)).toBe("transient");
  });

  it("blames the record for refused values, undecodable input and errors of its own", () => {
    const zod = z.object({ a: z.number() }).safeParse({ a: "x" }).error;
    for (const [error, reason] of [
      [pg("22021", 'invalid byte sequence for encoding "UTF8": 0x00'), "refused"],
      [pg("23514", "new row violates check constraint"), "refused"],
      [new Error("Conversion Error: Malformed JSON"), "refused"],
      [
        Object.assign(new Error("The request included a message larger than the max message size"), { name: "KafkaJSProtocolError", retriable: false }),
        "refused",
      ],
      [new SyntaxError("Unexpected token"), "not_json"],
      [zod, "invalid"],
      [new RecordError("no such profile", "failed"), "failed"],
      [new TypeError("Cannot read properties of undefined"), "failed"],
      ["a thrown string", "failed"],
    ] as const) {
      expect(classifyFailure(error), String(error)).toBe("record");
      expect(reasonOf(error), String(error)).toBe(reason);
    }
  });
});

function message(offset: number, value: string, bytes?: Uint8Array): BusMessage {
  return { topic: "event.raw", partition: 2, offset: String(offset), key: "k", value, headers: { h: "1" }, timestamp: 0, ...(bytes ? { bytes } : {}) };
}

describe("consumer dead letters", () => {
  it("carry the stage, the error and the exact payload, base64 when it is not UTF-8, under an id stable across redeliveries", () => {
    const text = consumerDeadLetter({ stage: "processor", message: message(7, '{"project_id":"p1","x":'), error: new SyntaxError("bad"), now: 5 });
    expect(text.topic).toBe("event.dlq");
    expect(text.key).toBeNull(); // not JSON: no project to read
    expect(text.headers).toMatchObject({ "prism-source": "processor", "prism-dead-letter-id": "processor:event.raw:2:7", h: "1" });
    expect(JSON.parse(text.value)).toEqual({
      project_id: null,
      received_at: 5,
      reason: "malformed",
      violations: [{ type: "malformed", message: "processor: SyntaxError: bad" }],
      payload: '{"project_id":"p1","x":',
      stage: "processor",
      error: "SyntaxError: bad",
      payload_encoding: "utf8",
      origin: { topic: "event.raw", partition: 2, offset: "7", key: "k" },
    });
    const filed = consumerDeadLetter({ stage: "sink", message: message(8, '{"project_id":"p1"}'), error: "refused" });
    expect(JSON.parse(filed.value)).toMatchObject({ project_id: "p1", payload: '{"project_id":"p1"}' });

    const bytes = Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]);
    const binary = JSON.parse(consumerDeadLetter({ stage: "sink", message: message(9, "{\ufffd\ufffd}", bytes), error: "x", bytes }).value);
    expect(binary).toMatchObject({ payload_encoding: "base64", project_id: null });
    expect(Buffer.from(binary.payload, "base64")).toEqual(Buffer.from(bytes));
  });

  it("a wrapped consumer dead-letters invalid UTF-8 untried and isolates the rest, producing the letters once", async () => {
    const produced: ProduceRecord[][] = [];
    const seen: string[][] = [];
    const handler = isolatingBatchHandler({
      stage: "actions",
      loneAttempts: 1,
      produce: async (records) => void produced.push(records),
      handle: async (batch) => {
        seen.push(batch.messages.map((m) => m.value));
        if (batch.messages.some((m) => m.value === "poison")) throw pgRefusal();
      },
    });
    const batch: BatchContext = {
      topic: "event.raw",
      partition: 2,
      heartbeat: async () => undefined,
      messages: [message(0, "a"), message(1, "\ufffd", Uint8Array.from([0xff])), message(2, "poison"), message(3, "b")],
    };
    await handler(batch);
    expect(seen).toEqual([["a", "poison", "b"], ["a", "poison"], ["a"], ["poison"], ["b"]]);
    expect(produced).toHaveLength(1);
    expect(produced[0]!.map((record) => JSON.parse(record.value).origin.offset)).toEqual(["1", "2"]);
  });
});

describe("a wrapped consumer when a dependency is down", () => {
  it("rethrows, so the bus delivers the batch again, and dead-letters nothing", async () => {
    const produced: ProduceRecord[] = [];
    let calls = 0;
    const handler = isolatingBatchHandler({
      stage: "sink",
      produce: async (records) => void produced.push(...records),
      handle: async () => {
        calls++;
        throw Object.assign(new Error("IO Error: No space left on device"), { code: "ENOSPC" });
      },
    });
    const batch: BatchContext = { topic: "event.enriched", partition: 0, heartbeat: async () => undefined, messages: [message(0, "a"), message(1, "b")] };
    await expect(handler(batch)).rejects.toThrow("No space left");
    expect(calls).toBe(1); // no bisection: every record would fail the same way
    expect(produced).toEqual([]);
  });
});

function pgRefusal() {
  return Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: "22021" });
}
