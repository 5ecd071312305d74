/**
 * `npm run bench:import`: importing BENCH_EVENTS (default 1,000,000) past events from a Mixpanel
 * export file through the import path (src/server/imports.ts: streamed, judged per line against a
 * tracking plan, produced through the worker's gateway), into a worker on the embedded log (as
 * `npm start` runs it), until DuckDB holds them all. Prints the upload's rate (read, judged and
 * acknowledged by the bus) and the rate to DuckDB. The file is generated as a stream, never held.
 * Needs PostgreSQL at DATABASE_URL (default: the test server, a throwaway database).
 * BENCH_PRODUCE=none measures the app's side alone (read, convert, judge, records built), without a worker.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { migrateDatabase } from "../../prisma/tools/migrate";
import { upstashProducer } from "../../edge/upstash-producer";
import { createPrismaClient } from "../../src/platform/db";
import { resolveProjectPlan } from "../../src/platform/resolve-key";
import { runImport } from "../../src/server/imports";
import { createTestDatabase, DEFAULT_TEST_DATABASE_URL } from "../../src/testing/postgres";
import { workerEnv } from "../../workers/env";
import { startWorker } from "../../workers/main";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const PROFILES = 50_000;
const APP_ONLY = process.env.BENCH_PRODUCE === "none";
const say = (line: string) => process.stdout.write(`${line}\n`);

/** A Mixpanel export of EVENTS events over the last 300 days, produced line by line on demand. */
function mixpanelFile(now: number): { stream: ReadableStream<Uint8Array>; bytes: () => number } {
  const encoder = new TextEncoder();
  const names = ["page_view", "signup", "purchase", "search"];
  let i = 0;
  let bytes = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i >= EVENTS) return controller.close();
      let text = "";
      for (const end = Math.min(EVENTS, i + 2000); i < end; i++) {
        const time = Math.floor((now - 300 * 86_400_000 + (i / EVENTS) * 299 * 86_400_000) / 1000);
        text += `${JSON.stringify({
          event: names[i % names.length],
          properties: {
            time,
            distinct_id: `user-${i % PROFILES}`,
            $insert_id: `ins-${i}`,
            amount: i % 500,
            $os: "Mac OS X",
            $current_url: "https://shop.example/p",
          },
        })}\n`;
      }
      const chunk = encoder.encode(text);
      bytes += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { stream, bytes: () => bytes };
}

async function main() {
  const database = await createTestDatabase(process.env.DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL, "prism_bench_import");
  const dir = await mkdtemp(path.join(tmpdir(), "prism-bench-import-"));
  await migrateDatabase(database.url);
  const db = createPrismaClient(database.url);
  const env = workerEnv({ DATABASE_URL: database.url, DUCKDB_PATH: path.join(dir, "prism.duckdb"), WORKER_PORT: "0", LOG_LEVEL: "warn" });
  const worker = APP_ONLY ? null : await startWorker(env);
  try {
    const org = await db.organization.create({ data: { name: "Bench", slug: `bench-${Date.now()}` } });
    const project = await db.project.create({ data: { id: `proj_bench${Date.now()}`, organizationId: org.id, name: "Import bench" } });
    const job = await db.importJob.create({ data: { projectId: project.id, format: "mixpanel", requestedByEmail: "bench@example.com" } });
    const plan = (await resolveProjectPlan(db, project.id))!;
    const now = Date.now();
    const file = mixpanelFile(now);
    const produce = worker
      ? upstashProducer({ url: `http://127.0.0.1:${worker.port}`, username: "prism", password: env.GATEWAY_TOKEN })
      : () => Promise.resolve();

    const started = performance.now();
    // Progress as the job records it, so a long run on a busy machine still tells its rate.
    const ticker = setInterval(() => {
      void db.importJob.findUnique({ where: { id: job.id }, select: { linesRead: true } }).then((row) => {
        const seconds = (performance.now() - started) / 1000;
        if (row)
          say(`  ${row.linesRead.toLocaleString("en")} lines after ${seconds.toFixed(0)} s (${Math.round(row.linesRead / seconds).toLocaleString("en")}/s)`);
      });
    }, 30_000);
    const summary = await runImport({
      db,
      importId: job.id,
      plan,
      format: "mixpanel",
      fireActions: false,
      body: file.stream,
      produce,
      maxBytes: Number.MAX_SAFE_INTEGER,
    });
    const uploaded = performance.now();
    clearInterval(ticker);
    say(`import: ${summary.status}, ${summary.accepted} accepted, ${summary.refused} refused, ${(file.bytes() / 1024 / 1024).toFixed(0)} MB`);
    say(
      `upload (read, judged, acknowledged by the bus): ${((uploaded - started) / 1000).toFixed(1)} s, ${Math.round(EVENTS / ((uploaded - started) / 1000)).toLocaleString("en")} events/s`,
    );

    if (!worker) return;
    const connection = await worker.duckdb!.connect();
    for (;;) {
      const rows = (await connection.runAndReadAll("SELECT count(*)::INT AS n FROM events WHERE project_id = $1", [project.id])).getRowObjectsJson();
      if (Number(rows[0]?.n) >= summary.accepted) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    connection.closeSync();
    const stored = performance.now();
    say(
      `in DuckDB: ${((stored - started) / 1000).toFixed(1)} s after the upload began, ${Math.round(EVENTS / ((stored - started) / 1000)).toLocaleString("en")} events/s end to end`,
    );
  } finally {
    await worker?.stop();
    await db.$disconnect();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
