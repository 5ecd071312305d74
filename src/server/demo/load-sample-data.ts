import type { PrismaClient } from "~/generated/prisma/client";
import { mintApiKey } from "~/platform/api-keys";
import { generateSampleData } from "./sample-events";

async function post(url: string, apiKey: string, body: unknown): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", "x-api-key": apiKey }, body: JSON.stringify(body) });
    if (response.ok) return;
    // A busy first start (build, migrations and the embedded log at once) can answer 503 for a while: wait up to about a minute.
    if ((response.status === 503 || response.status === 429) && attempt < 10) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** attempt, 8000)));
      continue;
    }
    throw new Error(`${url} answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
  }
}

/**
 * Sends a few weeks of sample shop traffic to the demo project through the public ingest API,
 * the same path a customer's app uses, with an API key minted for the purpose.
 */
export async function loadSampleData(opts: {
  db: PrismaClient;
  projectId: string;
  appUrl: string;
  now?: number;
  onProgress?: (sent: number, total: number) => void;
}): Promise<{ events: number; profiles: number }> {
  const minted = mintApiKey();
  await opts.db.apiKey.create({
    data: { id: minted.id, projectId: opts.projectId, name: "Demo data loader", prefix: minted.prefix, secretHash: minted.secretHash },
  });
  const { profiles, events } = generateSampleData({ now: opts.now ?? Date.now() });

  for (let i = 0; i < profiles.length; i += 25) {
    await Promise.all(profiles.slice(i, i + 25).map((profile) => post(`${opts.appUrl}/api/v1/profiles`, minted.secret, profile)));
  }
  const batches: (typeof events)[] = [];
  for (let i = 0; i < events.length; i += 100) batches.push(events.slice(i, i + 100));
  let sent = 0;
  for (let i = 0; i < batches.length; i += 4) {
    await Promise.all(batches.slice(i, i + 4).map((batch) => post(`${opts.appUrl}/api/v1/events/batch`, minted.secret, batch)));
    sent += batches.slice(i, i + 4).reduce((sum, batch) => sum + batch.length, 0);
    opts.onProgress?.(sent, events.length);
  }
  return { events: events.length, profiles: profiles.length };
}
