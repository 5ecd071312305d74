import { expect, test } from "@playwright/test";
import { Kafka, logLevel } from "kafkajs";
import { registerZstd } from "../workers/bus/zstd";
import { DEMO, signIn, testEnv, trpc } from "./helpers";

/** Values on event.raw that belong to `projectId`, read from the beginning. */
async function rawRecords(brokers: string, projectId: string, expected: number): Promise<Array<Record<string, unknown>>> {
  registerZstd(); // the worker's ingest produces event.raw in zstd batches
  const kafka = new Kafka({ clientId: "e2e-reader", brokers: brokers.split(","), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `e2e-${Date.now()}`, maxWaitTimeInMs: 200 });
  const found: Array<Record<string, unknown>> = [];
  await consumer.connect();
  await consumer.subscribe({ topic: "event.raw", fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const value = JSON.parse(message.value?.toString("utf8") ?? "{}") as Record<string, unknown>;
      if (value.project_id === projectId) found.push(value);
    },
  });
  const deadline = Date.now() + 30_000;
  while (found.length < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
  await consumer.disconnect();
  return found;
}

test("the browser SDK's queued events reach event.raw when the page closes", async ({ page, context }) => {
  await signIn(page, DEMO.email, DEMO.password);
  const organizations = await trpc<Array<{ id: string }>>(page, "organizations.list", null, "query");
  const project = await trpc<{ id: string }>(page, "projects.create", { orgId: organizations[0]!.id, name: `SDK ${Date.now()}` });
  const key = await trpc<{ secret: string }>(page, "apiKeys.create", { projectId: project.id, name: "browser" });

  const sdkPage = await context.newPage();
  await sdkPage.goto(`/sdk/demo.html#key=${key.secret}`);
  await expect(sdkPage.locator("#status")).toHaveText("Ready.");
  for (let i = 0; i < 3; i++) await sdkPage.getByRole("button", { name: 'track("page_view")' }).click();
  await sdkPage.getByRole("button", { name: 'identify("demo-visitor")' }).click();
  await sdkPage.getByRole("button", { name: 'trackEvent("purchase", { amount: 4900 })' }).click();
  await expect(sdkPage.locator("#status")).toHaveText("5 event(s) waiting to be sent.");
  // Closing fires pagehide: the SDK hands the queue to sendBeacon.
  await sdkPage.close({ runBeforeUnload: true });

  const records = await rawRecords((await testEnv()).kafkaBrokers, project.id, 5);
  const events = records.filter((record) => record.type === "event");
  expect(events.map((record) => record.event_name).sort()).toEqual(["page_view", "page_view", "page_view", "purchase"]);
  expect(records.filter((record) => record.type === "profile")).toEqual([expect.objectContaining({ profile_id: "demo-visitor", set: { plan: "pro" } })]);
  const purchase = events.find((record) => record.event_name === "purchase")!;
  expect(purchase).toMatchObject({ profile_id: "demo-visitor", props: { amount: 4900 }, ctx: expect.objectContaining({ source_format: "tracking" }) });
  const anonymous = events.filter((record) => record.event_name === "page_view").map((record) => record.profile_id);
  expect(new Set(anonymous).size).toBe(1);
  expect(String(anonymous[0])).toMatch(/^anon-/);
});
