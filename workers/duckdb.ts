import { mkdir } from "node:fs/promises";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";

/** The one DuckDB instance of a sink process; ':memory:' for throwaway use. */
export async function openDuckDB(file: string): Promise<DuckDBInstance> {
  if (file !== ":memory:") await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  try {
    return await DuckDBInstance.create(file);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new Error(`Cannot open DuckDB file ${file}: ${reason}`);
  }
}
