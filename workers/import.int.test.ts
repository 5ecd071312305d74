/**
 * Import and backfill through the whole pipeline on the real broker: the upload route's handler
 * (src/server/imports.ts) judges the file against the tracking plan, produces through the worker's
 * gateway as live ingest does, and the worker stores the events in DuckDB without firing rules.
 * Importing the file again, after the processor forgot its event ids, stores nothing twice.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { upstashProducer } from "../edge/upstash-producer";
import type { SessionUser } from "../src/server/api/trpc";
import { handleImportUpload } from "../src/server/imports";
import { createTestApp, type TestApp } from "../src/testing/app";
import { until } from "../src/testing/until";
import { workerEnv } from "./env";
import { startWorker, type RunningWorker } from "./main";
import { queryDuckDB as query } from "./query/testing";

const DAY = 86_400_000;

/** The file as a stream cut into small chunks, so lines straddle chunk boundaries as in a real upload. */
function streamOf(text: string, chunk = 37): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + chunk));
      at += chunk;
    },
  });
}

describe("importing a file of past events", () => {
  let app: TestApp;
  let dir: string;
  let worker: RunningWorker;
  let owner: SessionUser;
  let projectId: string;
  let produce: (records: Parameters<ReturnType<typeof upstashProducer>>[0]) => Promise<void>;
  const now = Date.now();

  beforeAll(async () => {
    app = await createTestApp();
    dir = await mkdtemp(path.join(tmpdir(), "prism-import-"));
    const signedUp = await app.signUp("importer@example.com");
    owner = signedUp.user;
    const caller = app.caller(owner);
    projectId = (await caller.projects.create({ orgId: signedUp.orgId, name: "History" })).id;
    await caller.trackingPlan.createEventType({
      projectId,
      eventType: { name: "purchase", description: "", fields: [{ name: "amount", dataType: "number", required: true }] },
    });
    await caller.trackingPlan.createEventType({ projectId, eventType: { name: "page_view", description: "", fields: [] } });
    await caller.projects.updateSettings({ projectId, settings: { planEnforcement: "enforce" } });
    await caller.triggers.create({
      projectId,
      trigger: {
        name: "Any purchase",
        rule: "event.name == 'purchase'",
        actions: [{ type: "tag_profile", tag: "buyer" }],
        enabled: true,
        cooldownSeconds: 0,
      },
    });
    const env = workerEnv({
      DATABASE_URL: app.url,
      KAFKA_BROKERS: inject("kafkaBrokers"),
      DUCKDB_PATH: path.join(dir, "prism.duckdb"),
      WORKER_PORT: "0",
      CONSUMER_GROUP_PREFIX: `import-${now}`,
      INGEST_KEY_CACHE_MS: "0",
      LOG_LEVEL: "warn",
    });
    worker = await startWorker(env);
    produce = upstashProducer({ url: `http://127.0.0.1:${worker.port}`, username: "prism", password: env.GATEWAY_TOKEN });
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await app?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const iso = (ms: number) => new Date(ms).toISOString();
  const lines = [
    { event_name: "purchase", event_id: "hist-1", profile_id: "ann", timestamp: iso(now - 300 * DAY), props: { amount: 12 } },
    { event_name: "purchase", profile_id: "ben", timestamp: iso(now - 2 * DAY), props: { amount: 7 } },
    { type: "track", event: "purchase", userId: "cy", messageId: "ajs-abc", timestamp: iso(now - 40 * DAY), properties: { amount: 1 } },
    { type: "page", userId: "cy", messageId: "ajs-def", timestamp: iso(now - 40 * DAY), properties: {} },
    { event_name: "purchase", profile_id: "dee", timestamp: iso(now - DAY), props: {} },
    { event_name: "purchase", profile_id: "eve", timestamp: iso(now - 400 * DAY), props: { amount: 3 } },
    { event_name: "refund", profile_id: "ann", timestamp: iso(now - DAY), props: {} },
    { event_name: "purchase", profile_id: "fay", props: { amount: 3 } },
  ].map((line) => JSON.stringify(line));
  const file = [...lines.slice(0, 4), "{not json", ...lines.slice(4)].join("\n") + "\n";

  async function upload(text: string, user: SessionUser = owner, project = projectId) {
    const { importId } = await app.caller(owner).imports.start({ projectId, format: "ndjson", fileName: "history.ndjson", totalBytes: text.length });
    const request = new Request(`http://app.test/api/projects/${project}/imports/${importId}`, {
      method: "POST",
      body: streamOf(text),
      duplex: "half",
    } as RequestInit);
    const response = await handleImportUpload({ request, projectId: project, importId, userId: user.id, db: app.db, produce });
    return { importId, response };
  }

  const stored = async () =>
    (await query(worker.duckdb!, "SELECT event_id, event_name, profile_id, epoch_ms(ts)::DOUBLE AS ts FROM events WHERE project_id = $1 ORDER BY ts", [
      projectId,
    ])) as Array<{
      event_id: string;
      event_name: string;
      profile_id: string;
      ts: number;
    }>;

  it("stores the valid events at their own times, refuses the rest by line as live ingest would, and fires nothing", async () => {
    const { importId, response } = await upload(file);
    expect(response.status).toBe(200);
    const job = await app.caller(owner).imports.get({ projectId, importId });
    expect(job).toMatchObject({ status: "done", linesRead: 9, accepted: 4, refused: 5, fireActions: false, bytesRead: file.length });
    expect(job.refusals.map(({ line, reason, field }) => ({ line, reason, field }))).toEqual([
      { line: 5, reason: "malformed", field: undefined },
      { line: 6, reason: "required_missing", field: "props.amount" },
      { line: 7, reason: "malformed", field: "timestamp" },
      { line: 8, reason: "unplanned_event", field: "event_name" },
      { line: 9, reason: "malformed", field: "timestamp" },
    ]);

    const rows = await until("the four events in DuckDB", async () => {
      const found = await stored();
      return found.length === 4 && found;
    });
    expect(rows.map(({ event_name, profile_id, ts }) => [event_name, profile_id, ts])).toEqual([
      ["purchase", "ann", Date.parse(iso(now - 300 * DAY))],
      ["purchase", "cy", Date.parse(iso(now - 40 * DAY))],
      ["page_view", "cy", Date.parse(iso(now - 40 * DAY))],
      ["purchase", "ben", Date.parse(iso(now - 2 * DAY))],
    ]);
    expect(rows[0]!.event_id).toBe("hist-1");

    // A live purchase fires the rule; the imported ones never did.
    const key = (await app.caller(owner).apiKeys.create({ projectId, name: "live" })).secret;
    const live = await fetch(`http://127.0.0.1:${worker.port}/api/v1/events`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": key },
      body: JSON.stringify({ event_name: "purchase", profile_id: "gus", props: { amount: 1 } }),
    });
    expect(live.status).toBe(202);
    await until("the live firing", async () => (await query(worker.duckdb!, "SELECT 1 FROM trigger_logs WHERE project_id = $1", [projectId])).length > 0);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await query(worker.duckdb!, "SELECT profile_id FROM trigger_logs WHERE project_id = $1", [projectId])).toEqual([{ profile_id: "gus" }]);
  }, 90_000);

  it("stores nothing twice when the same file is imported again after the processor forgot its ids (a week later)", async () => {
    // The processor keeps event ids for 7 days; past that only the sink's de-duplication stands.
    await app.db.seenEventId.deleteMany({});
    const extra = JSON.stringify({ event_name: "purchase", event_id: "hist-new", profile_id: "hal", timestamp: iso(now - 10 * DAY), props: { amount: 2 } });
    const { response } = await upload(`${file}${extra}\n`);
    expect(await response.json()).toMatchObject({ status: "done", accepted: 5, refused: 5 });
    await until("the new event in DuckDB", async () => (await stored()).some((row) => row.event_id === "hist-new"));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const rows = await stored();
    expect(rows.filter((row) => row.event_name !== "purchase" || row.profile_id !== "gus")).toHaveLength(5);
    expect(new Set(rows.map((row) => row.event_id)).size).toBe(rows.length);
  }, 90_000);

  it("keeps the job from another organisation's members", async () => {
    const { importId } = await upload(lines[0]!);
    const other = await app.signUp("outsider@example.com");
    const caller = app.caller(other.user);
    const ownProject = (await caller.projects.create({ orgId: other.orgId, name: "Mine" })).id;
    await expect(caller.imports.get({ projectId, importId })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(caller.imports.get({ projectId: ownProject, importId })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await caller.imports.list({ projectId: ownProject })).toEqual([]);
    const { importId: pending } = await app.caller(owner).imports.start({ projectId, format: "csv" });
    const request = new Request(`http://app.test/api/projects/${projectId}/imports/${pending}`, { method: "POST", body: "x" });
    const refused = await handleImportUpload({ request, projectId, importId: pending, userId: other.user.id, db: app.db, produce });
    expect(refused.status).toBe(404);
    expect((await app.caller(owner).imports.get({ projectId, importId: pending })).status).toBe("pending");
  }, 60_000);
});
