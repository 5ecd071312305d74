/**
 * Starts the platform for Playwright: a fresh database on the test Postgres server
 * (embedded PGlite when none answers), a fresh data dir, a production build, role `all`,
 * and a real SMTP server on loopback whose received mails Playwright reads over HTTP.
 */
import { mkdtemp } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { createTestDatabase, DEFAULT_TEST_DATABASE_URL, postgresAnswers } from "../src/testing/postgres";
import { mailText, startTestSmtpServer } from "../src/testing/smtp";
import { startLocalBroker } from "../workers/kafka/local-broker";
import { launch, launcherEnv } from "../workers/launcher";
import { E2E_MAILBOX_PORT } from "./ports";

const serverUrl = process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
const dataDir = await mkdtemp(path.join(os.tmpdir(), "prism-e2e-"));
const database = (await postgresAnswers(serverUrl)) ? await createTestDatabase(serverUrl, "prism_e2e") : null;
const smtp = await startTestSmtpServer();
// The e2e platform runs on a real broker, so tests can read what ingest wrote to event.raw.
const kafkaBrokers = process.env.KAFKA_BROKERS ?? (await startLocalBroker()).brokers.join(",");

// GET /mails?to=address → the decoded raw mails sent to that address, oldest first.
// GET /env → where the test services and the platform's data folder are.
http
  .createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    res.writeHead(200, { "content-type": "application/json" });
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
});

await launch(
  launcherEnv({
    ...process.env,
    PORT: process.env.E2E_PORT ?? "3210",
    WORKER_PORT: process.env.E2E_WORKER_PORT ?? "4210",
    DATA_DIR: dataDir,
    DATABASE_URL: database?.url,
    SMTP_URL: smtp.url,
    KAFKA_BROKERS: kafkaBrokers,
  }),
);
