import { createIngestHandler, type IngestHandler } from "@edge/ingest";
import { createKeyCache, internalKeyLookup } from "@edge/key-cache";
import { upstashProducer } from "@edge/upstash-producer";
import { appEnv } from "~/server/env";

let handler: IngestHandler | undefined;

/** The ingest handler of this edge instance, wired from the app's configuration. */
export function edgeIngest(): IngestHandler {
  if (handler) return handler;
  const env = appEnv();
  const appUrl = env.INTERNAL_APP_URL ?? env.NEXTAUTH_URL ?? "http://127.0.0.1:3000";
  handler = createIngestHandler({
    resolveKey: createKeyCache(internalKeyLookup({ url: `${appUrl}/api/internal/keys/resolve`, secret: env.INTERNAL_SECRET }), env.INGEST_KEY_CACHE_MS),
    produce: upstashProducer({ url: env.GATEWAY_URL ?? env.WORKER_URL, username: "prism", password: env.GATEWAY_TOKEN }),
    limits: { maxEventBytes: env.INGEST_MAX_EVENT_BYTES, maxRequestBytes: env.INGEST_MAX_REQUEST_BYTES, produceTimeoutMs: env.INGEST_PRODUCE_TIMEOUT_MS },
    onResult(outcome) {
      // One structured line per request; never the key or the payload.
      console.log(
        JSON.stringify({
          level: "info",
          msg: "ingest",
          project_id: outcome.projectId,
          trace_id: outcome.traceId,
          status: outcome.status,
          accepted: outcome.accepted,
          refused: outcome.refused,
          latency_ms: outcome.latencyMs,
        }),
      );
    },
  });
  return handler;
}
