/**
 * Starts two platforms for Playwright from one production build, each on a fresh database (the
 * test Postgres server, embedded PostgreSQL when none answers) and a fresh data dir, role `all`:
 * - the main one on E2E_PORT (its public URL; `next start` behind it on E2E_WEB_APP_PORT), on a real Kafka broker, with a real SMTP server on loopback whose
 *   received mails Playwright reads over HTTP;
 * - the default install on E2E_NO_MAIL_PORT: no SMTP and the embedded log, as `npm start` runs.
 * The build happens here, once; both launchers then skip it, so they cannot build at once.
 */
import { mkdtemp } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { createTestDatabase, DEFAULT_TEST_DATABASE_URL, postgresAnswers } from "../src/testing/postgres";
import { mailText, startTestSmtpServer } from "../src/testing/smtp";
import { startLocalBroker } from "../tools/kafka/local-broker";
import { buildIsStale, launch, launcherEnv, run } from "../tools/launcher";
import { E2E_MAILBOX_PORT, E2E_NO_MAIL_PORT, E2E_NO_MAIL_WEB_APP_PORT, E2E_PORT, E2E_WEB_APP_PORT } from "./ports";

const serverUrl = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
const hasPostgres = await postgresAnswers(serverUrl);
const database = hasPostgres ? await createTestDatabase(serverUrl, "prism_e2e") : null;
const noMailDatabase = hasPostgres ? await createTestDatabase(serverUrl, "prism_e2e_nomail") : null;
const dataDir = await mkdtemp(path.join(os.tmpdir(), "prism-e2e-"));
const noMailDataDir = await mkdtemp(path.join(os.tmpdir(), "prism-e2e-nomail-"));
const smtp = await startTestSmtpServer();
// The main platform runs on a real broker, so tests can read what ingest wrote to event.raw.
const kafkaBrokers = process.env.KAFKA_BROKERS ?? (await startLocalBroker()).brokers.join(",");
// The launcher hands its own environment to its children: keep a shell's SMTP or broker away from the default install.
delete process.env.SMTP_URL;
delete process.env.KAFKA_BROKERS;

let ready = false;
// GET /mails?to=address → the decoded raw mails sent to that address, oldest first.
// GET /env → where the test services and the main platform's data folder are. GET /ready → 200 once both platforms are up (Playwright waits on it).
http
  .createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    res.writeHead(url.pathname === "/ready" && !ready ? 503 : 200, { "content-type": "application/json" });
    if (url.pathname === "/ready") {
      res.end(JSON.stringify({ ready }));
      return;
    }
    if (url.pathname === "/env") {
      res.end(JSON.stringify({ kafkaBrokers, dataDir }));
      return;
    }
    const to = url.searchParams.get("to") ?? "";
    res.end(JSON.stringify(smtp.mails.filter((mail) => mail.to.includes(to)).map((mail) => mailText(mail.raw))));
  })
  .listen(E2E_MAILBOX_PORT, "127.0.0.1");

process.once("exit", () => {
  void database?.drop().catch(() => undefined);
  void noMailDatabase?.drop().catch(() => undefined);
});

if (await buildIsStale()) {
  process.stdout.write("• Building the web app once for both e2e platforms…\n");
  const nextBin = path.join(import.meta.dirname, "..", "node_modules", "next", "dist", "bin", "next");
  const buildEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    ...(database ? { DATABASE_URL: database.url } : {}),
  };
  await run(process.execPath, [nextBin, "build"], buildEnv);
}

await Promise.all([
  launch(
    launcherEnv({
      ...process.env,
      PORT: String(E2E_PORT),
      WEB_APP_PORT: String(E2E_WEB_APP_PORT),
      WORKER_PORT: process.env.E2E_WORKER_PORT ?? "4210",
      DATA_DIR: dataDir,
      DATABASE_URL: database?.url,
      SMTP_URL: smtp.url,
      KAFKA_BROKERS: kafkaBrokers,
      PRISM_SKIP_BUILD: "1",
    }),
  ),
  launch(
    launcherEnv({
      ...process.env,
      PORT: String(E2E_NO_MAIL_PORT),
      WEB_APP_PORT: String(E2E_NO_MAIL_WEB_APP_PORT),
      WORKER_PORT: process.env.E2E_NO_MAIL_WORKER_PORT ?? "4220",
      DATA_DIR: noMailDataDir,
      DATABASE_URL: noMailDatabase?.url,
      PRISM_SKIP_BUILD: "1",
    }),
  ),
]);
ready = true;
