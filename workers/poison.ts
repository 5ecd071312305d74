import { Counter, type Registry } from "prom-client";
import { TOPIC, type DeadLetter, type JsonValue } from "../src/core/events";
import { POISON_STAGES } from "../src/contracts/query-service";
import { isAvroRecord } from "../src/contracts/wire/codec";
import type { Logger } from "../src/platform/logger";
import type { BatchContext, BusMessage, ProduceRecord } from "./bus/types";

/**
 * Poison isolation, shared by every consumer (processor, sink, action runner, webhook dispatcher).
 *
 * Delivery guarantee, enforced by `isolatePoison` for each of them: every record of a batch is
 * either handled (a call of the consumer's handler that contained it resolved) or dead-lettered
 * (made durable on `event.dlq` with its stage, the error and its exact payload) before the batch's
 * handler resolves and the bus commits its offsets. A transient failure (a dependency down) is
 * rethrown, so the bus delivers the same batch again with backoff and nothing is skipped; a failure
 * caused by a record is narrowed down to that record by bisection, within a bounded number of
 * attempts, and only that record is dead-lettered. Handlers must be idempotent: after a transient
 * failure the halves already handled are handled again.
 */

export type FailureKind = "transient" | "record";
// Declared with the query service's inputs, whose dead-letter list filters by stage.
export { POISON_STAGES };
export type PoisonStage = (typeof POISON_STAGES)[number];
export const POISON_REASONS = ["not_utf8", "not_json", "invalid", "refused", "failed"] as const;
export type PoisonReason = (typeof POISON_REASONS)[number];

/** Thrown by a step to say "this record alone cannot be handled", whatever the error underneath. */
export class RecordError extends Error {
  constructor(
    message: string,
    readonly reason: PoisonReason = "failed",
  ) {
    super(message);
    this.name = "RecordError";
  }
}

/** Thrown to say "a dependency is down": never dead-letters anything. */
export class TransientError extends Error {
  override name = "TransientError";
}

const TRANSIENT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
  "ENOSPC",
  "EDQUOT",
  "EIO",
  "EMFILE",
  "ENFILE",
  "EROFS",
  "EBUSY",
  "EAGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);
/** SQLSTATE classes of a Postgres that is unreachable, overloaded, shutting down or in conflict, never of a value. */
const PG_TRANSIENT_CLASSES = new Set(["08", "40", "53", "57", "58", "XX"]);
const PG_TRANSIENT_CODES = new Set(["55P03", "55006"]);
/** Driver and engine messages of a dependency that is gone, full or closing. */
const TRANSIENT_MESSAGE =
  /connection (?:terminated|refused|reset|closed|error)|connect(?:ion)? timeout|timeout exceeded when trying to connect|socket hang up|no space left on device|disk (?:is )?full|^IO Error|^Connection Error|^Out of Memory Error|^FATAL Error|^Interrupt|^TransactionContext Error|database (?:is )?(?:closed|locked)|Cannot use a pool after calling end|Client was closed|broker not available|not connected|is stopping|has been (?:closed|stopped)/i;

function causes(error: unknown): unknown[] {
  const seen: unknown[] = [];
  const queue = [error];
  while (queue.length > 0 && seen.length < 10) {
    const next = queue.shift();
    if (next === undefined || next === null || seen.includes(next)) continue;
    seen.push(next);
    if (typeof next === "object") {
      const fields = next as { cause?: unknown; originalError?: unknown; errors?: unknown };
      queue.push(fields.cause, fields.originalError);
      if (Array.isArray(fields.errors)) queue.push(...(fields.errors as unknown[]));
    }
  }
  return seen;
}

/**
 * Transient when any error in the chain says a dependency is unreachable, full, overloaded or
 * closing; otherwise the record is to blame (it cannot be decoded, a store refused one of its
 * values, a step threw for it). Unknown errors count as the record's: bisection then proves it,
 * since the other records of the batch go through.
 */
export function classifyFailure(error: unknown): FailureKind {
  const chain = causes(error);
  if (chain.some((item) => item instanceof RecordError)) return "record";
  for (const item of chain) {
    if (item instanceof TransientError) return "transient";
    if (typeof item !== "object" || item === null) continue;
    const { code, name, message, retriable } = item as { code?: unknown; name?: unknown; message?: unknown; retriable?: unknown };
    if (typeof code === "string") {
      if (TRANSIENT_CODES.has(code)) return "transient";
      if (/^[0-9A-Z]{5}$/.test(code) && (PG_TRANSIENT_CLASSES.has(code.slice(0, 2)) || PG_TRANSIENT_CODES.has(code))) return "transient";
    }
    if (typeof name === "string" && name.startsWith("KafkaJS")) {
      if (retriable === true || /Connection|Timeout|NumberOfRetriesExceeded|BrokerNotFound|LockTimeout|NotImplemented/.test(name)) return "transient";
    }
    if (typeof message === "string" && TRANSIENT_MESSAGE.test(message)) return "transient";
  }
  return "record";
}

/** A short reason for the metric and the page, from the error a record caused. */
export function reasonOf(error: unknown): PoisonReason {
  const chain = causes(error);
  for (const item of chain) {
    if (item instanceof RecordError) return item.reason;
    if (item instanceof SyntaxError) return "not_json";
    if (typeof item !== "object" || item === null) continue;
    const { name, code, message } = item as { name?: unknown; code?: unknown; message?: unknown };
    if (name === "ZodError") return "invalid";
    if (typeof code === "string" && /^(22|23)[0-9A-Z]{3}$/.test(code)) return "refused";
    if (typeof message === "string" && /^(Conversion|Invalid Input|Constraint|Out of Range) Error|out of .*range|KafkaJSProtocolError|too large/i.test(message))
      return "refused";
    if (typeof name === "string" && name === "KafkaJSProtocolError") return "refused";
  }
  return "failed";
}

export function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name === "Error" ? "" : `${error.name}: `}${error.message}` : String(error);
  return text.length > 2000 ? `${text.slice(0, 1999)}…` : text;
}

export interface Poisoned<T> {
  item: T;
  error: unknown;
}

export interface IsolationOptions<T> {
  /** Handles a slice of the batch, in order; throws when it cannot. `whole`: the first attempt, at the whole batch. */
  handle(items: T[], whole: boolean): Promise<void>;
  /** Makes the poisoned records durable (on event.dlq); called once, after the rest of the batch was handled. */
  deadLetter(poisoned: Array<Poisoned<T>>): Promise<void>;
  classify?: (error: unknown) => FailureKind;
  /** How often a lone record is tried before it is judged poison (default 3). */
  loneAttempts?: number;
  /** The pause before the lone record's attempt `n` (2, 3, …); default 50 ms · 4^(n-2). */
  pauseMs?: (attempt: number) => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface IsolationReport {
  /** Calls of `handle`, the first included. */
  attempts: number;
  deadLettered: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Handles a batch, isolating the records that make the handler fail: on a failure caused by a
 * record, the slice is split in halves and each is tried in order, down to lone records, which get
 * a few more attempts before being dead-lettered. Order is kept (every slice before the next).
 * At most 1 + 2·k·⌈log2 n⌉ + k·(loneAttempts − 1) calls of `handle` for k poison records among n.
 */
export async function isolatePoison<T>(items: T[], opts: IsolationOptions<T>): Promise<IsolationReport> {
  const classify = opts.classify ?? classifyFailure;
  const loneAttempts = Math.max(1, opts.loneAttempts ?? 3);
  const pause = opts.pauseMs ?? ((attempt: number) => 50 * 4 ** (attempt - 2));
  const sleep = opts.sleep ?? defaultSleep;
  const poisoned: Array<Poisoned<T>> = [];
  let attempts = 0;

  const attempt = async (slice: T[]): Promise<unknown> => {
    attempts++;
    try {
      await opts.handle(slice, attempts === 1);
      return undefined;
    } catch (error) {
      if (classify(error) === "transient") throw error;
      return error ?? new Error("handler failed");
    }
  };

  const run = async (slice: T[]): Promise<void> => {
    if (slice.length === 0) return;
    let error = await attempt(slice);
    if (error === undefined) return;
    if (slice.length > 1) {
      const middle = Math.ceil(slice.length / 2);
      await run(slice.slice(0, middle));
      await run(slice.slice(middle));
      return;
    }
    for (let n = 2; n <= loneAttempts; n++) {
      await sleep(pause(n));
      error = await attempt(slice);
      if (error === undefined) return;
    }
    poisoned.push({ item: slice[0]!, error });
  };

  await run(items);
  if (poisoned.length > 0) await opts.deadLetter(poisoned);
  return { attempts, deadLettered: poisoned.length };
}

/** `records_dead_lettered_total`, registered once per registry however many consumers share it. */
export function deadLetterCounter(registry: Registry | undefined): Counter<"stage" | "reason"> | undefined {
  if (!registry) return undefined;
  const existing = registry.getSingleMetric("records_dead_lettered_total");
  if (existing) return existing as Counter<"stage" | "reason">;
  return new Counter({
    name: "records_dead_lettered_total",
    help: "Records a consumer could not handle and sent to event.dlq, by stage and reason",
    labelNames: ["stage", "reason"],
    registers: [registry],
  });
}

/** What a consumer's dead letter carries besides the DeadLetter fields ingest writes. */
export interface ConsumerLetterFields {
  stage: PoisonStage;
  error: string;
  /** The record's value exactly: its text, or base64 of its bytes when they are not valid UTF-8. */
  payload_encoding: "utf8" | "base64";
  /** Where the record was read, so a replay can put it back. */
  origin: { topic: string; partition: number; offset: string; key: string | null };
}
export type ConsumerDeadLetter = DeadLetter & ConsumerLetterFields;

/** The header naming a dead letter's stable id: the same poison found twice is still one letter. */
export const DEAD_LETTER_ID_HEADER = "prism-dead-letter-id";

function projectOf(value: string): string | null {
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed === "object" && parsed !== null && "project_id" in parsed && typeof parsed.project_id === "string") return parsed.project_id;
  } catch {
    // not JSON: no project to file it under
  }
  return null;
}

/**
 * The dead letter of a bus record a consumer could not handle. The payload is the record's value
 * as a string, exactly (base64 of its bytes when it has some: Avro, or a value not valid UTF-8).
 */
export function consumerDeadLetter(args: {
  stage: PoisonStage;
  message: Pick<BusMessage, "topic" | "partition" | "offset" | "key" | "value" | "headers" | "bytes" | "index">;
  error: unknown;
  /** The value's bytes, when not the message's own. */
  bytes?: Uint8Array;
  now?: number;
}): ProduceRecord {
  const { message, stage } = args;
  const bytes = args.bytes ?? message.bytes;
  const base64 = bytes !== undefined;
  const error = errorText(args.error);
  const letter: ConsumerDeadLetter = {
    project_id: base64 ? null : projectOf(message.value),
    received_at: args.now ?? Date.now(),
    reason: "malformed",
    violations: [{ type: "malformed", message: `${stage}: ${error}` }],
    payload: base64 ? Buffer.from(bytes).toString("base64") : (message.value as JsonValue),
    stage,
    error,
    payload_encoding: base64 ? "base64" : "utf8",
    origin: {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      ...(message.index === undefined ? {} : { index: message.index }),
      key: message.key,
    },
  };
  // The records of a pack share its offset; their place in it tells their letters apart.
  const id = `${stage}:${message.topic}:${message.partition}:${message.offset}${message.index === undefined ? "" : `.${message.index}`}`;
  return {
    topic: TOPIC.dlq,
    key: letter.project_id,
    value: JSON.stringify(letter),
    headers: { ...message.headers, "prism-source": stage, [DEAD_LETTER_ID_HEADER]: id },
  };
}

export interface IsolatingHandlerOptions {
  stage: PoisonStage;
  /** The consumer's own batch handler, called with the whole batch first, then with slices of it. */
  handle(batch: BatchContext, whole: boolean): Promise<void>;
  produce(records: ProduceRecord[]): Promise<unknown>;
  counter?: Counter<"stage" | "reason">;
  log?: Logger;
  loneAttempts?: number;
}

/**
 * Wraps a consumer's batch handler in poison isolation (see the guarantee at the top of this file).
 * Records that are not valid UTF-8 are dead-lettered without being tried: no stage can read them.
 */
export function isolatingBatchHandler(opts: IsolatingHandlerOptions): (batch: BatchContext) => Promise<void> {
  return async (batch) => {
    const letters: ProduceRecord[] = [];
    const count = (reason: PoisonReason) => opts.counter?.inc({ stage: opts.stage, reason });
    const readable: BusMessage[] = [];
    for (const message of batch.messages) {
      if (message.bytes === undefined || isAvroRecord(message.bytes)) {
        readable.push(message);
        continue;
      }
      letters.push(consumerDeadLetter({ stage: opts.stage, message, error: "the record is not valid UTF-8" }));
      count("not_utf8");
    }
    await isolatePoison(readable, {
      handle: (messages, whole) => opts.handle(whole && messages.length === batch.messages.length ? batch : { ...batch, messages }, whole),
      loneAttempts: opts.loneAttempts,
      deadLetter: async (poisoned) => {
        for (const { item, error } of poisoned) {
          letters.push(consumerDeadLetter({ stage: opts.stage, message: item, error }));
          count(reasonOf(error));
          opts.log?.warn(
            { stage: opts.stage, topic: item.topic, partition: item.partition, offset: item.offset, err: error },
            "a record the stage cannot handle went to event.dlq",
          );
        }
      },
    });
    if (letters.length > 0) await opts.produce(letters);
  };
}
