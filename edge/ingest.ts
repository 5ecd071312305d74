/**
 * The ingest front door as web-standard handlers (Request → Response), with no Node APIs:
 * the same code runs as a Next.js route (REST producer), in the worker (kafkajs) or on
 * any edge platform. Its producer, key lookup and clock are passed in.
 *
 * Guarantee: a 2xx means every accepted record was acknowledged by the producer (durable);
 * refused records were written to the dead-letter topic. If either write fails or times out
 * the answer is 503 with Retry-After, never a 2xx. A timed-out write may still land, so a 503 means
 * "not known to be stored": it names the event_ids to resend with, and the processor drops the
 * second copy of an event_id (the idempotency key, for IDEMPOTENCY_WINDOW_MS).
 */
import type { EventContext, ViolationType } from "../src/core/events";
import { deadLetterOf, judgeBatch, rawRecordOf, type OutgoingRecord } from "../src/core/ingest/judge";
import { DEFAULT_VALIDATION_LIMITS } from "../src/core/ingest/validate";
import { CONTEXT_LIMITS, storableString } from "../src/core/storable";
import type { ResolvedKey } from "../src/core/tracking-plan";
import { RateLimiter } from "./rate-limit";

export type { OutgoingRecord };

export interface IngestDeps {
  /** API key → project and plan; null for unknown or revoked keys. */
  resolveKey(apiKey: string): Promise<ResolvedKey | null>;
  /** Resolves once every record is durable; rejects otherwise. */
  produce(records: OutgoingRecord[]): Promise<void>;
  now?: () => number;
  limits?: Partial<IngestLimits>;
  /** Observability hook: one call per request. */
  onResult?(outcome: { projectId: string | null; status: number; accepted: number; refused: number; latencyMs: number; traceId: string }): void;
}

export interface IngestLimits {
  maxEventBytes: number;
  maxRequestBytes: number;
  maxBatchSize: number;
  maxFutureMs: number;
  /** How long to wait for the producer before answering 503. */
  produceTimeoutMs: number;
  retryAfterSeconds: number;
}

export const DEFAULT_INGEST_LIMITS: IngestLimits = {
  maxEventBytes: DEFAULT_VALIDATION_LIMITS.maxEventBytes,
  maxRequestBytes: 500 * 1024,
  maxBatchSize: 100,
  maxFutureMs: DEFAULT_VALIDATION_LIMITS.maxFutureMs,
  produceTimeoutMs: 1500,
  retryAfterSeconds: 5,
};

type ErrorCode =
  | ViolationType
  | "unauthorized"
  | "project_archived"
  | "payload_too_large"
  | "rate_limited"
  | "unavailable"
  | "not_found"
  | "method_not_allowed"
  | "not_implemented";

/** The longest API key ingest looks up (the app's internal key endpoint takes no longer ones). */
export const MAX_API_KEY_LENGTH = 200;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", "cache-control": "no-store", ...headers } });
}

function failure(status: number, error: ErrorCode, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Response {
  return json(status, { error, message, ...extra }, headers);
}

class ProduceTimeout extends Error {}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProduceTimeout(`no acknowledgement within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The API key from `X-API-Key`, `Authorization: Bearer`, or the `key` query parameter
 * (browsers' sendBeacon cannot set headers; project keys are write-only, like any SDK key).
 */
export function apiKeyOf(request: Request): string | null {
  const header = request.headers.get("x-api-key")?.trim();
  if (header) return header;
  const authorization = request.headers.get("authorization");
  const match = authorization?.match(/^Bearer\s+(\S+)$/i);
  if (match?.[1]) return match[1];
  return new URL(request.url).searchParams.get("key");
}

/** Browsers may send from any origin; credentials are never involved. */
const CORS_HEADERS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "POST, GET, OPTIONS",
  "access-control-allow-headers": "content-type, x-api-key, authorization, x-trace-id",
  "access-control-max-age": "86400",
  // Browsers hide other response headers from scripts; the SDK waits out Retry-After.
  "access-control-expose-headers": "retry-after, x-trace-id",
};

/** A header's value as stored context: at most the field's length, nothing unstorable (then absent). */
function headerContext(value: string | null | undefined, max: number): string | undefined {
  if (!value) return undefined;
  const stored = storableString(value.slice(0, max), "");
  return stored.ok && stored.value.length > 0 ? stored.value : undefined;
}

/** Percent-decoding that answers null for malformed escapes (`%ZZ`) instead of throwing. */
export function safeDecode(value: string): string | null {
  try {
    return decodeURIComponent(value);
  } catch {
    return null;
  }
}

/** Client context from headers: the first forwarded address, user agent, locale and platform geo headers. */
export function requestContext(request: Request): EventContext {
  const headers = request.headers;
  const forwarded = headers.get("x-forwarded-for")?.split(",")[0]?.trim();
  const locale = headers.get("accept-language")?.split(",")[0]?.split(";")[0]?.trim();
  const city = headers.get("x-vercel-ip-city");
  const fields: Array<[keyof typeof CONTEXT_LIMITS, string | null | undefined]> = [
    ["ip", forwarded || headers.get("x-real-ip") || headers.get("cf-connecting-ip")],
    ["user_agent", headers.get("user-agent")],
    ["locale", locale],
    ["country", headers.get("x-vercel-ip-country") ?? headers.get("cf-ipcountry")],
    ["region", headers.get("x-vercel-ip-country-region")],
    // Vercel percent-encodes the city; a malformed escape leaves it out rather than failing the request.
    ["city", city ? safeDecode(city) : null],
  ];
  const ctx: EventContext = {};
  for (const [field, value] of fields) {
    const stored = headerContext(value, CONTEXT_LIMITS[field]);
    if (stored !== undefined) ctx[field] = stored;
  }
  return ctx;
}

/** How much of a refused body is read and thrown away (so a keep-alive connection goes on); past it the body is cancelled. */
const DRAIN_BYTES = 8 * 1024 * 1024;

/**
 * Reads and discards the rest of a refused body behind the answer, never awaited. Cancelling at
 * once would, on Node, destroy the socket before the 413 is written; not reading would leave the
 * connection stuck behind the unread body.
 */
function discardRest(reader: ReadableStreamDefaultReader<Uint8Array>): void {
  void (async () => {
    for (let drained = 0; drained <= DRAIN_BYTES;) {
      const { done, value } = await reader.read();
      if (done) return;
      drained += value.byteLength;
    }
    await reader.cancel();
  })().catch(() => undefined);
}

const TRUNCATED: unique symbol = Symbol("truncated body");

/** Reads at most `limit` bytes of the body; null as soon as it is larger (declared or counted). */
async function readBody(request: Request, limit: number): Promise<string | null> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limit) {
    discardRest(reader);
    return null;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      discardRest(reader);
      return null;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(all);
}

function withCors(response: Response): Response {
  for (const [name, value] of Object.entries(CORS_HEADERS)) response.headers.set(name, value);
  return response;
}

/**
 * A 400 for a path whose percent-escapes do not decode (`%ZZ`), else null: for servers whose router
 * decodes path segments before any handler runs (Next.js answers those with a bare 500).
 */
export function malformedPathAnswer(request: Request): Response | null {
  if (safeDecode(new URL(request.url).pathname) !== null) return null;
  return withCors(failure(400, "malformed", "The path is not valid percent-encoding."));
}

export function createIngestHandler(deps: IngestDeps) {
  const limits: IngestLimits = { ...DEFAULT_INGEST_LIMITS, ...deps.limits };
  const now = deps.now ?? (() => Date.now());
  const rateLimiter = new RateLimiter(now);

  async function authenticate(request: Request): Promise<{ plan: ResolvedKey } | { response: Response }> {
    const apiKey = apiKeyOf(request);
    if (!apiKey) return { response: failure(401, "unauthorized", "Send your project's API key in the X-API-Key header (or Authorization: Bearer).") };
    // No key is this long; looking it up would only fail (and a failed lookup answers 503).
    if (apiKey.length > MAX_API_KEY_LENGTH) return { response: failure(401, "unauthorized", "Unknown or revoked API key.") };
    let plan: ResolvedKey | null;
    try {
      plan = await deps.resolveKey(apiKey);
    } catch {
      return {
        response: failure(503, "unavailable", "Cannot check the API key right now; retry shortly.", {}, { "retry-after": String(limits.retryAfterSeconds) }),
      };
    }
    if (!plan) return { response: failure(401, "unauthorized", "Unknown or revoked API key.") };
    if (plan.project.archived) return { response: failure(403, "project_archived", "This project is archived; unarchive it to send data.") };
    return { plan };
  }

  /** Parses the body as JSON, refusing oversized or malformed bodies with a clear reason. */
  async function parseJson(request: Request): Promise<{ value: unknown } | { response: Response }> {
    // A client that drops the connection mid-body (a closed tab, a timeout) makes the read fail:
    // answered like any truncated body, so no server logs an error for the client's own doing.
    const text = await readBody(request, limits.maxRequestBytes).catch((): typeof TRUNCATED => TRUNCATED);
    if (text === TRUNCATED) return { response: failure(400, "malformed", "The request body ended before it was complete.") };
    if (text === null) return { response: failure(413, "payload_too_large", `Request body over ${limits.maxRequestBytes} bytes.`) };
    try {
      return { value: JSON.parse(text) as unknown };
    } catch {
      return { response: failure(400, "malformed", "The body is not valid JSON.") };
    }
  }

  /** Writes accepted records and dead letters; false when the write did not complete in time. */
  async function write(records: OutgoingRecord[]): Promise<boolean> {
    if (records.length === 0) return true;
    try {
      await withTimeout(deps.produce(records), limits.produceTimeoutMs);
      return true;
    } catch {
      return false;
    }
  }

  async function ingest(request: Request, mode: "single" | "batch" | "profile"): Promise<Response> {
    const started = now();
    const traceId = request.headers.get("x-trace-id")?.slice(0, 64) || crypto.randomUUID();
    let projectId: string | null = null;
    let accepted = 0;
    let refused = 0;
    const finish = (response: Response) => {
      deps.onResult?.({ projectId, status: response.status, accepted, refused, latencyMs: now() - started, traceId });
      response.headers.set("x-trace-id", traceId);
      for (const [name, value] of Object.entries(CORS_HEADERS)) response.headers.set(name, value);
      return response;
    };

    const auth = await authenticate(request);
    if ("response" in auth) return finish(auth.response);
    const { plan } = auth;
    projectId = plan.project.id;

    const wait = rateLimiter.take(plan.keyId, plan.project.rateLimitPerSecond);
    if (wait > 0) {
      return finish(
        failure(
          429,
          "rate_limited",
          `Over ${plan.project.rateLimitPerSecond} requests a second for this key.`,
          {},
          { "retry-after": String(Math.ceil(wait / 1000)) },
        ),
      );
    }

    const body = await parseJson(request);
    if ("response" in body) return finish(body.response);

    let inputs: unknown[];
    if (mode === "batch") {
      const list = Array.isArray(body.value)
        ? body.value
        : typeof body.value === "object" && body.value !== null && Array.isArray((body.value as { events?: unknown }).events)
          ? (body.value as { events: unknown[] }).events
          : null;
      if (!list) return finish(failure(400, "malformed", 'A batch is a JSON array of events, or {"events": [...]}.'));
      if (list.length === 0) return finish(failure(400, "malformed", "The batch is empty."));
      if (list.length > limits.maxBatchSize)
        return finish(failure(413, "payload_too_large", `A batch holds at most ${limits.maxBatchSize} events; this one has ${list.length}.`));
      inputs = list;
    } else {
      inputs = [body.value];
    }

    const receivedAt = now();
    const { accepted: records, refused: refusals } = judgeBatch(inputs, mode === "profile" ? "profile" : "event", {
      plan,
      receivedAt,
      requestCtx: requestContext(request),
      limits: { maxEventBytes: limits.maxEventBytes, maxFutureMs: limits.maxFutureMs },
    });
    const out = [
      ...records.map(({ record }) => rawRecordOf(record, traceId)),
      ...refusals.map((refusal) => deadLetterOf(plan.project.id, refusal, receivedAt, traceId)),
    ];
    const acceptedIds = records.map(({ index, record }) => {
      const violations = record.type === "event" ? record.violations : undefined;
      return { index, event_id: record.event_id, ...(violations ? { violations } : {}) };
    });

    if (!(await write(out))) {
      const ids = acceptedIds.map(({ index, event_id }) => ({ index, event_id }));
      return finish(
        failure(
          503,
          "unavailable",
          "Storage did not confirm in time, so these events are not known to be stored. Resend them after Retry-After with the same event_id (given here for each); a copy already stored is dropped.",
          { stored: "unknown", resend: "same_event_id", ...(mode === "batch" ? { events: ids } : ids[0] ? { event_id: ids[0].event_id } : {}) },
          { "retry-after": String(limits.retryAfterSeconds) },
        ),
      );
    }
    accepted = acceptedIds.length;
    refused = refusals.length;

    if (mode !== "batch") {
      const refusal = refusals[0];
      if (refusal) {
        const status = refusal.reason === "malformed" ? 400 : 422;
        const path = refusal.violations[0]?.field;
        return finish(
          failure(
            status,
            refusal.reason,
            refusal.violations.map((violation) => (violation.field ? `${violation.field}: ${violation.message}` : violation.message)).join("; "),
            { ...(path !== undefined ? { path } : {}), violations: refusal.violations },
          ),
        );
      }
      const first = acceptedIds[0]!;
      return finish(json(202, { status: "accepted", event_id: first.event_id, ...(first.violations ? { violations: first.violations } : {}) }));
    }
    const status = refusals.length === 0 ? 202 : acceptedIds.length === 0 ? 422 : 207;
    return finish(
      json(status, {
        // A 4xx always names a machine-readable error: here the first refused event's reason.
        ...(status === 422 ? { error: refusals[0]!.reason, message: "No event of the batch was accepted; see errors." } : {}),
        status: refusals.length === 0 ? "accepted" : acceptedIds.length === 0 ? "refused" : "partial",
        accepted: acceptedIds.length,
        refused: refusals.length,
        events: acceptedIds,
        errors: refusals.map((refusal) => ({
          index: refusal.index,
          reason: refusal.reason,
          ...(refusal.violations[0]?.field !== undefined ? { path: refusal.violations[0].field } : {}),
          violations: refusal.violations,
        })),
      }),
    );
  }

  return {
    events: (request: Request) => ingest(request, "single"),
    batch: (request: Request) => ingest(request, "batch"),
    profiles: (request: Request) => ingest(request, "profile"),
    health: () => json(200, { status: "ok" }),
    preflight: () => new Response(null, { status: 204, headers: CORS_HEADERS }),
    /** A known ingest path asked with a method it does not serve. */
    methodNotAllowed: (method: string, allow: string) =>
      withCors(failure(405, "method_not_allowed", `${method.slice(0, 32)} is not served here; use ${allow}.`, {}, { allow })),
    /** A body over `limits.maxRequestBytes`, for servers that bound the read themselves. */
    payloadTooLarge: () => withCors(failure(413, "payload_too_large", `Request body over ${limits.maxRequestBytes} bytes.`)),
    /** Any path under /api/v1 that ingest does not serve. */
    notFound: (request: Request) => withCors(failure(404, "not_found", `No ingest endpoint at ${new URL(request.url).pathname}.`)),
    limits,
  };
}

export type IngestHandler = ReturnType<typeof createIngestHandler>;
