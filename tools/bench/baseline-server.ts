/**
 * The ingest baseline: a bare Node HTTP server that parses the same bodies, stamps the same
 * fields and produces the same records to event.raw with a kafkajs idempotent producer
 * (acks = all), with no auth, validation, edge runtime or gateway hop.
 */
import http from "node:http";
import { randomUUID } from "node:crypto";
import { Kafka, logLevel, Partitioners } from "kafkajs";

const brokers = (process.env.KAFKA_BROKERS ?? "").split(",");
const port = Number(process.env.BASELINE_PORT ?? 3320);
const kafka = new Kafka({ clientId: "ingest-baseline", brokers, logLevel: logLevel.NOTHING });
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
await producer.connect();

function record(input: { event_name: string; profile_id?: string; props?: unknown }) {
  const event = {
    type: "event",
    event_id: randomUUID(),
    project_id: "proj_baseline",
    event_name: input.event_name,
    cts: Date.now(),
    sts: Date.now(),
    profile_id: input.profile_id ?? null,
    props: input.props ?? {},
    ctx: {},
  };
  return { key: `proj_baseline:${event.profile_id ?? event.event_id}`, value: JSON.stringify(event) };
}

http
  .createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      void (async () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
          const inputs = (Array.isArray(body) ? body : [body]) as Array<{ event_name: string; profile_id?: string; props?: unknown }>;
          await producer.send({ topic: "event.raw", acks: -1, messages: inputs.map(record) });
          res.writeHead(202, { "content-type": "application/json" });
          res.end(JSON.stringify({ accepted: inputs.length }));
        } catch {
          res.writeHead(503);
          res.end();
        }
      })();
    });
  })
  .listen(port, "127.0.0.1", () => process.stdout.write(`baseline listening on ${port}\n`));
