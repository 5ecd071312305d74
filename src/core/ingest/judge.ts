/**
 * Ingest's verdict on a batch of inputs against a project's tracking plan: which become records
 * (with the plan's violations when it only observes) and which are refused, and why. Pure apart
 * from the UUIDv7 given to an input without an event_id: the public API (edge/ingest) and the
 * dead-letter replay (workers/gateway/replay) both judge with it, so a replay is validated exactly
 * as if the payload had just been sent.
 */
import {
  kafkaKeyOf,
  TOPIC,
  type DeadLetter,
  type EventContext,
  type InternalEvent,
  type JsonValue,
  type ProfileRecord,
  type Violation,
  type ViolationType,
} from "../events";
import { boundedCopy } from "../storable";
import type { ResolvedKey } from "../tracking-plan";
import { convertEvent, convertProfile, type Converted } from "./convert";
import { DEFAULT_VALIDATION_LIMITS, validateEvent, type ValidationLimits } from "./validate";

/** A record for the bus, as ingest's producers take it. */
export interface OutgoingRecord {
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

export interface JudgeContext {
  plan: ResolvedKey;
  /** The server's clock when the inputs arrived: `sts`, and the reference for "too far ahead". */
  receivedAt: number;
  /** Client context from the request (headers); inputs' own context wins. */
  requestCtx: EventContext;
  limits?: ValidationLimits;
}

export interface Accepted {
  /** Position of the input in the batch. */
  index: number;
  /** An event carries `violations` when the plan observes rather than enforces. */
  record: InternalEvent | ProfileRecord;
}

export interface Refusal {
  index: number;
  /** The first violation's type: the one a client is told first. */
  reason: ViolationType;
  violations: Violation[];
  /** The input as it was sent. */
  payload: JsonValue;
}

export interface Judgement {
  accepted: Accepted[];
  refused: Refusal[];
}

/** Events are converted from any source format and checked against the plan; profiles are converted and sized. */
export type InputKind = "event" | "profile";

/** Dead letters keep a refused payload to this depth; deeper levels become a marker string. */
const DEAD_LETTER_DEPTH = 32;

function judgeOne(
  converted: Converted,
  plan: ResolvedKey,
  limits: ValidationLimits,
): { ok: true; record: InternalEvent | ProfileRecord } | { ok: false; violations: Violation[] } {
  if (!converted.ok) return converted;
  if (converted.kind === "profile") {
    const bytes = new TextEncoder().encode(JSON.stringify(converted.record)).length;
    if (bytes > limits.maxEventBytes)
      return { ok: false, violations: [{ type: "malformed", message: `profile is ${bytes} bytes; the limit is ${limits.maxEventBytes}` }] };
    return { ok: true, record: converted.record };
  }
  const verdict = validateEvent(converted.record, plan, limits);
  if (!verdict.accept) return { ok: false, violations: verdict.violations };
  return { ok: true, record: verdict.violations.length > 0 ? { ...converted.record, violations: verdict.violations } : converted.record };
}

/** Every input judged, in order: each index is either accepted or refused, never both. */
export function judgeBatch(inputs: readonly unknown[], kind: InputKind, context: JudgeContext): Judgement {
  const limits = context.limits ?? DEFAULT_VALIDATION_LIMITS;
  const cc = { projectId: context.plan.project.id, now: context.receivedAt, requestCtx: context.requestCtx };
  const judgement: Judgement = { accepted: [], refused: [] };
  inputs.forEach((input, index) => {
    const verdict = judgeOne(kind === "profile" ? convertProfile(input, cc) : convertEvent(input, cc), context.plan, limits);
    if (verdict.ok) {
      judgement.accepted.push({ index, record: verdict.record });
    } else {
      const reason = verdict.violations[0]?.type ?? "malformed";
      judgement.refused.push({ index, reason, violations: verdict.violations, payload: (input ?? null) as JsonValue });
    }
  });
  return judgement;
}

/** An accepted record for `event.raw`, keyed so one profile's records stay in order. */
export function rawRecordOf(record: InternalEvent | ProfileRecord, traceId: string): OutgoingRecord {
  return {
    topic: TOPIC.raw,
    key: kafkaKeyOf({ project_id: record.project_id, profile_id: record.profile_id, event_id: record.event_id }),
    value: JSON.stringify(record),
    headers: { trace_id: traceId, kind: record.type },
  };
}

/** A refusal as a dead letter for `event.dlq`. */
export function deadLetterOf(projectId: string, refusal: Refusal, receivedAt: number, traceId: string): OutgoingRecord {
  const letter: DeadLetter = {
    project_id: projectId,
    received_at: receivedAt,
    reason: refusal.reason,
    violations: refusal.violations,
    // The refused input may nest without bound (it was only parsed, which is iterative).
    payload: boundedCopy(refusal.payload, DEAD_LETTER_DEPTH),
  };
  return { topic: TOPIC.dlq, key: projectId, value: JSON.stringify(letter), headers: { trace_id: traceId, reason: refusal.reason } };
}
