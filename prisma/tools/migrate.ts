/**
 * `npm run db:migrate`: applies prisma/migrations to DATABASE_URL, as `prisma migrate deploy`
 * does (same `_prisma_migrations` table, checksums and advisory lock), through Prisma's wasm
 * schema engine. Like `migrate deploy`, it creates the database when the server lacks it.
 *
 * `migrateDatabase(url)` is the same thing for programs (the launcher, tests); it throws
 * `MigrateError`, whose first message line is a complete, credential-free explanation.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { applyMigrations, SchemaEngineError, type EngineLog } from "./schema-engine";

export const MIGRATIONS_DIR = path.resolve(import.meta.dirname, "..", "migrations");

export class MigrateError extends Error {
  override name = "MigrateError";
}

export interface MigrateOptions {
  /** Defaults to this repository's prisma/migrations. */
  migrationsDir?: string;
  /** Progress lines ("Created database …"); silent when absent. */
  onProgress?: (line: string) => void;
  /** The engine's own log output; dropped when absent. */
  engineLog?: EngineLog;
}

/** `host:port/database` of a connection URL, without credentials, for messages. */
export function describeDatabase(url: URL): string {
  return `${url.hostname}${url.port ? `:${url.port}` : ""}${url.pathname || "/"}`;
}

/** Parses a PostgreSQL connection URL, or throws MigrateError saying what is wrong with it. */
export function parseDatabaseUrl(databaseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(databaseUrl.trim());
  } catch {
    throw new MigrateError("DATABASE_URL is not a valid URL; expected postgresql://user[:password]@host[:port]/database");
  }
  if (url.protocol !== "postgresql:" && url.protocol !== "postgres:") {
    throw new MigrateError(`DATABASE_URL must start with postgresql:// (got ${url.protocol}//…)`);
  }
  if (!url.hostname) throw new MigrateError("DATABASE_URL has no host; expected postgresql://user@host:port/database");
  if (url.pathname.length <= 1) throw new MigrateError(`DATABASE_URL names no database; expected postgresql://user@${url.host}/database`);
  return url;
}

const CONNECT_TIMEOUT_MS = 10_000;

/** Why a connection to `url` fails, as one line, or null when it works. `code` is the SQLSTATE / errno. */
async function tryConnect(url: URL): Promise<{ code: string | undefined; message: string } | null> {
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (error) {
    return { code: errorCode(error), message: errorMessage(error) };
  } finally {
    await client.end().catch(() => undefined);
  }
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, errors } = error as { code?: unknown; errors?: unknown };
  if (typeof code === "string") return code;
  if (Array.isArray(errors) && errors.length > 0) return errorCode(errors[0]);
  return undefined;
}

function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return errorMessage(error.errors[0]);
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]?.trim() || String(error);
}

const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET"]);

/** Turns a failed connection into the message a person needs. */
function connectionFailure(url: URL, failure: { code: string | undefined; message: string }): MigrateError {
  const where = describeDatabase(url);
  const user = decodeURIComponent(url.username) || "(default user)";
  if (failure.code === "ENOTFOUND" || failure.code === "EAI_AGAIN")
    return new MigrateError(`Cannot reach PostgreSQL at ${url.host}: host name not found (${failure.code})`);
  if (failure.code && UNREACHABLE.has(failure.code))
    return new MigrateError(`Cannot reach PostgreSQL at ${url.host} (${failure.code}); is the server running?`);
  if (/timeout/i.test(failure.message)) return new MigrateError(`Cannot reach PostgreSQL at ${url.host}: no answer within ${CONNECT_TIMEOUT_MS / 1000} s`);
  if (failure.code === "28P01" || failure.code === "28000") return new MigrateError(`PostgreSQL at ${url.host} refused user "${user}": ${failure.message}`);
  return new MigrateError(`Cannot connect to PostgreSQL database ${where}: ${failure.message}`);
}

/** CREATE DATABASE through the server's maintenance database, as `prisma migrate deploy` does. */
async function createDatabase(url: URL): Promise<void> {
  const name = decodeURIComponent(url.pathname.slice(1));
  let lastFailure: { code: string | undefined; message: string } | null = null;
  for (const maintenance of ["postgres", "template1"]) {
    const adminUrl = new URL(url);
    adminUrl.pathname = `/${maintenance}`;
    const client = new pg.Client({ connectionString: adminUrl.toString(), connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    client.on("error", () => undefined);
    try {
      await client.connect();
      await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
      return;
    } catch (error) {
      if (errorCode(error) === "42P04") return; // created meanwhile by someone else
      lastFailure = { code: errorCode(error), message: errorMessage(error) };
      if (lastFailure.code !== "3D000") break;
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  throw new MigrateError(`Database ${describeDatabase(url)} does not exist and could not be created: ${lastFailure?.message ?? "unknown error"}`);
}

/**
 * Applies the pending migrations to `databaseUrl`, creating the database if the server lacks it.
 * Returns the names of the migrations applied by this call (empty when the database was up to date).
 */
export async function migrateDatabase(databaseUrl: string, options: MigrateOptions = {}): Promise<string[]> {
  const url = parseDatabaseUrl(databaseUrl);
  const failure = await tryConnect(url);
  if (failure?.code === "3D000") {
    await createDatabase(url);
    options.onProgress?.(`Created database ${describeDatabase(url)}`);
  } else if (failure) {
    throw connectionFailure(url, failure);
  }
  try {
    return await applyMigrations(url.toString(), options.migrationsDir ?? MIGRATIONS_DIR, { log: options.engineLog });
  } catch (error) {
    if (error instanceof SchemaEngineError) throw engineFailure(url, error);
    throw error;
  }
}

/** One line that says what broke, then the engine's details. */
function engineFailure(url: URL, error: SchemaEngineError): MigrateError {
  const where = describeDatabase(url);
  const lines = error.message
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  let headline: string;
  if (error.code === "P3009") {
    const failed = /The `([^`]+)` migration/.exec(error.message)?.[1] ?? "a migration";
    headline = `${where} has a failed migration (${failed}) in _prisma_migrations; no new migrations are applied until it is resolved (https://pris.ly/d/migrate-resolve)`;
  } else if (error.migrationName) {
    headline = `Migration ${error.migrationName} failed on ${where}: ${lines.find((line) => !/^(external connector error)$/.test(line)) ?? "unknown error"}`;
  } else {
    headline = `Migrating ${where} failed: ${lines[0] ?? "unknown error"}`;
  }
  const details = lines.filter((line) => !headline.includes(line));
  return new MigrateError([headline, ...details].join("\n"), { cause: error });
}

async function main(): Promise<number> {
  const databaseUrl = process.env.DATABASE_URL?.trim();
  if (!databaseUrl) {
    process.stderr.write("db:migrate: DATABASE_URL is not set (e.g. DATABASE_URL=postgresql://postgres@127.0.0.1:5432/prism npm run db:migrate)\n");
    return 1;
  }
  try {
    const url = parseDatabaseUrl(databaseUrl);
    const applied = await migrateDatabase(databaseUrl, {
      onProgress: (line) => process.stdout.write(`${line}\n`),
      engineLog: (entry) => {
        if (entry.level === "WARN" || entry.level === "ERROR") process.stderr.write(`schema engine ${entry.level.toLowerCase()}: ${entry.message}\n`);
      },
    });
    const where = describeDatabase(url);
    if (applied.length === 0) {
      process.stdout.write(`No pending migrations: ${where} is up to date.\n`);
    } else {
      process.stdout.write(
        `Applied ${applied.length} migration${applied.length === 1 ? "" : "s"} to ${where}:\n${applied.map((name) => `  ${name}\n`).join("")}`,
      );
    }
    return 0;
  } catch (error) {
    const message = error instanceof MigrateError ? error.message : `unexpected failure: ${error instanceof Error ? error.message : String(error)}`;
    process.stderr.write(`db:migrate: ${message.split("\n")[0]}\n`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await main();
}
