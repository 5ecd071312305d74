/**
 * A consumer's dead letters through the app's router, against the whole worker (embedded log):
 * the list shows each letter's stage and error even when a payload carries `__proto__` and
 * `prototype` keys; after a fix, replay puts the record back and it is handled; discard hides a letter.
 * Replay is one call to the worker, which reads only the asking project's letters.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOPIC } from "../src/core/events";
import { setQueryServiceTarget } from "../src/server/query-client";
import type { SessionUser } from "../src/server/api/trpc";
import { createTestApp, type TestApp } from "../src/testing/app";
import { workerEnv } from "./env";
import { startWorker, type RunningWorker } from "./main";
import { until } from "../src/testing/until";
import { queryDuckDB as query } from "./query/testing";

describe("dead letters of the pipeline's consumers", () => {
  let app: TestApp;
  let dir: string;
  let worker: RunningWorker | undefined;
  let owner: SessionUser;
  let projectId: string;
  let secret: string;

  beforeAll(async () => {
    app = await createTestApp();
    dir = await mkdtemp(path.join(tmpdir(), "prism-dead-letters-"));
    const signed = await app.signUp("letters@example.com");
    owner = signed.user;
    projectId = (await app.caller(owner).projects.create({ orgId: signed.orgId, name: "Letters" })).id;
    const env = workerEnv({
      DATABASE_URL: app.url,
      DUCKDB_PATH: path.join(dir, "prism.duckdb"),
      WORKER_PORT: "0",
      CONSUMER_GROUP_PREFIX: `letters-${Date.now()}`,
      LOG_LEVEL: "silent",
    });
    worker = await startWorker(env);
    secret = env.INTERNAL_SECRET;
    setQueryServiceTarget({ url: `http://127.0.0.1:${worker.port}`, secret: env.INTERNAL_SECRET });
  }, 60_000);

  afterAll(async () => {
    setQueryServiceTarget(null);
    await worker?.stop();
    await app?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("lists stage and error, replays a record after the fix, and discards a letter", async () => {
    const caller = app.caller(owner);
    // The "bug": Postgres refuses this one firing's notification.
    await app.db.$executeRawUnsafe("ALTER TABLE notifications ADD CONSTRAINT letters_poison CHECK (title <> 'refused for now')");
    const now = Date.now();
    const event = {
      type: "event",
      event_id: "evt-letters-1",
      project_id: projectId,
      event_name: "purchase",
      cts: now,
      sts: now,
      profile_id: null,
      props: {},
      ctx: {},
      profile_props: {},
      browser: null,
      os: null,
      device_type: null,
    };
    const firing = {
      firing_id: "fir_letters_1",
      project_id: projectId,
      trigger_id: "trg_letters",
      trigger_version: 1,
      trigger_name: "Letters",
      event_id: event.event_id,
      event_name: "purchase",
      profile_id: null,
      fired_at: now,
      result: "fired",
      error: null,
      actions: [{ type: "notification", title: "refused for now", body: "" }],
      event,
    };
    // Text, not an object literal: in a literal `__proto__` would set the prototype instead of a key.
    const hostile = `{"type":"event","project_id":"${projectId}","event_id":"evt-hostile","__proto__":{"admin":true},"prototype":{"x":1}}`;
    await worker!.bus.produce([
      { topic: TOPIC.triggered, key: firing.firing_id, value: JSON.stringify(firing) },
      { topic: TOPIC.raw, key: `${projectId}:x`, value: hostile },
    ]);

    const letters = await until("both dead letters", async () => {
      const page = await caller.deadLetters.list({ projectId });
      return page.items.length === 2 && page.items;
    });
    const actions = letters.find((letter) => letter.stage === "actions")!;
    const processor = letters.find((letter) => letter.stage === "processor")!;
    expect(actions.error).toMatch(/letters_poison|check constraint/);
    expect(JSON.parse(JSON.parse(actions.payloadJson) as string)).toMatchObject({ firing_id: "fir_letters_1" });
    expect(processor.error).toMatch(/does not match the internal form/);
    expect(JSON.parse(processor.payloadJson)).toBe(hostile);
    expect((await caller.deadLetters.list({ projectId, stage: "actions" })).items.map((letter) => letter.dlqId)).toEqual([actions.dlqId]);

    // The fix, then the replay: the firing goes back on event.triggered and its notification is stored.
    await app.db.$executeRawUnsafe("ALTER TABLE notifications DROP CONSTRAINT letters_poison");
    expect(await caller.deadLetters.replay({ projectId, ids: [actions.dlqId] })).toEqual({ accepted: 1, refused: [], missing: [] });
    await until("the replayed firing's notification", async () => (await app.db.notification.count({ where: { projectId, title: "refused for now" } })) === 1);
    const after = await caller.deadLetters.list({ projectId, stage: "actions" });
    expect(after.items[0]).toMatchObject({ dlqId: actions.dlqId });
    expect(after.items[0]!.replayedAt).not.toBeNull();

    expect(await caller.deadLetters.discard({ projectId, ids: [processor.dlqId] })).toEqual({ discarded: 1 });
    expect((await caller.deadLetters.list({ projectId })).items.map((letter) => letter.dlqId)).toEqual([actions.dlqId]);
    // One replay stored one notification; the first delivery's refusal left none behind.
    expect(await app.db.notification.count({ where: { projectId } })).toBe(1);
  }, 90_000);

  it("replays only the project's own letters, validating ingest's payloads again", async () => {
    const other = await app.signUp("letters-other@example.com");
    const otherProjectId = (await app.caller(other.user).projects.create({ orgId: other.orgId, name: "Other letters" })).id;
    const refusal = (project: string, eventId: string) => ({
      topic: TOPIC.dlq,
      key: project,
      value: JSON.stringify({
        project_id: project,
        received_at: Date.now(),
        reason: "unplanned_event",
        violations: [{ type: "unplanned_event", message: "not in the tracking plan" }],
        payload: { event_name: "signup", event_id: eventId, profile_id: "ann" },
      }),
    });
    await worker!.bus.produce([refusal(projectId, "evt-ours"), refusal(otherProjectId, "evt-theirs")]);
    const letterOf = async (project: string, eventId: string) =>
      until(`the letter of ${eventId}`, async () => {
        const page = await app.caller(project === projectId ? owner : other.user).deadLetters.list({ projectId: project, stage: "ingest" });
        return page.items.find((item) => item.payloadJson.includes(eventId)) ?? false;
      });
    const ours = await letterOf(projectId, "evt-ours");
    const theirs = await letterOf(otherProjectId, "evt-theirs");

    // Another project's admin cannot replay our letter: not through the app, not by asking the worker directly.
    await expect(app.caller(other.user).deadLetters.replay({ projectId: otherProjectId, ids: [ours.dlqId] })).rejects.toThrow(
      "None of these dead letters exist in this project.",
    );
    const direct = await fetch(`http://127.0.0.1:${worker!.port}/internal/replay`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-internal-secret": secret },
      body: JSON.stringify({ projectId: otherProjectId, ids: [ours.dlqId, theirs.dlqId] }),
    });
    expect(await direct.json()).toEqual({
      outcomes: [
        { dlqId: ours.dlqId, outcome: "missing" },
        { dlqId: theirs.dlqId, outcome: "replayed" },
      ],
    });
    const unauthorised = await fetch(`http://127.0.0.1:${worker!.port}/internal/replay`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ projectId, ids: [ours.dlqId] }),
    });
    expect(unauthorised.status).toBe(401);
    expect((await app.caller(owner).deadLetters.list({ projectId, stage: "ingest" })).items.find((item) => item.dlqId === ours.dlqId)!.replayedAt).toBeNull();

    // The project's own admin replays it: judged again (the project observes its plan), stored in this project only.
    expect(await app.caller(owner).deadLetters.replay({ projectId, ids: [ours.dlqId, "event.dlq:0:999999"] })).toEqual({
      accepted: 1,
      refused: [],
      missing: ["event.dlq:0:999999"],
    });
    const stored = await until("both replayed events in DuckDB", async () => {
      const rows = await query(worker!.duckdb!, `SELECT event_id, project_id FROM events WHERE event_id IN ('evt-ours', 'evt-theirs') ORDER BY event_id`);
      return rows.length === 2 && rows;
    });
    expect(stored).toEqual([
      { event_id: "evt-ours", project_id: projectId },
      { event_id: "evt-theirs", project_id: otherProjectId },
    ]);
    expect(
      (await app.caller(owner).deadLetters.list({ projectId, stage: "ingest" })).items.find((item) => item.dlqId === ours.dlqId)!.replayedAt,
    ).not.toBeNull();
  }, 90_000);
});
