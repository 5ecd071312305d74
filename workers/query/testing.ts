/** Test support: writes reference data into the real analytics tables of a DuckDB instance. */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Json, RefData, RefEvent } from "./reference";

const iso = (ms: number) => new Date(ms).toISOString();

export async function insertEvents(
  connection: DuckDBConnection,
  events: RefEvent[],
  profilePropsAtEvent: (event: RefEvent) => Record<string, Json> = () => ({}),
): Promise<void> {
  for (let start = 0; start < events.length; start += 200) {
    const batch = events.slice(start, start + 200);
    const params: Array<string | null> = [];
    const rows = batch.map((event) => {
      const base = params.length;
      params.push(
        event.project_id,
        event.event_id,
        event.event_name,
        event.profile_id,
        iso(event.ts),
        iso(event.ts),
        JSON.stringify(event.props),
        JSON.stringify(event.ctx),
        JSON.stringify(profilePropsAtEvent(event)),
        event.browser,
        event.os,
        event.device_type,
      );
      const p = (offset: number) => `$${base + offset}`;
      return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, CAST(${p(5)} AS TIMESTAMPTZ), CAST(${p(6)} AS TIMESTAMPTZ), ${p(7)}, ${p(8)}, ${p(9)}, ${p(10)}, ${p(11)}, ${p(12)}, NULL)`;
    });
    if (rows.length > 0) await connection.run(`INSERT INTO events VALUES ${rows.join(", ")}`, params);
  }
}

export async function insertProfiles(connection: DuckDBConnection, profiles: RefData["profiles"], at = Date.parse("2024-01-01T00:00:00Z")): Promise<void> {
  for (const [key, props] of profiles) {
    const [projectId, profileId] = key.split("\u0000") as [string, string];
    await connection.run(`INSERT INTO profiles VALUES ($1, $2, $3, CAST($4 AS TIMESTAMPTZ), CAST($4 AS TIMESTAMPTZ))`, [
      projectId,
      profileId,
      JSON.stringify(props),
      iso(at),
    ]);
  }
}
