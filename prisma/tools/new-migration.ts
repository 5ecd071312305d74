/**
 * `npm run db:migration -- <name>`: writes prisma/migrations/<timestamp>_<name>/migration.sql with
 * the SQL that takes the database the existing migrations describe to the current schema.prisma,
 * in the layout `prisma migrate dev --create-only` uses (plus migration_lock.toml).
 *
 * `migrate dev` would replay the migrations on a shadow database and introspect it; the wasm
 * engine can do neither, so each migration written here also stores the schema it corresponds to
 * in prisma/migrations/schema.prisma.snapshot, and the next migration is diffed from that file
 * (from nothing when there are no migrations yet). The snapshot records the migration it matches;
 * a newer migration written some other way makes the snapshot stale, which this script refuses to
 * guess about: check schema.prisma against that migration, then run with `--baseline`.
 * prisma/migrations.int.test.ts checks that the migrations and schema.prisma describe the same database.
 *
 *   npm run db:migration -- add_invites     # new migration, or "No schema changes"
 *   npm run db:migration -- --baseline      # re-record the snapshot as schema.prisma for the newest migration
 *
 * The engine needs a live connection even to diff two schemas (it only reads the server version):
 * DATABASE_URL when it answers, otherwise a throwaway in-memory PGlite (a few seconds slower).
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import {
  diffSql,
  MIGRATION_LOCK_CONTENT,
  MIGRATION_LOCK_FILE,
  MIGRATION_SCRIPT_FILE,
  readMigrationsList,
  SchemaEngineError,
  type SchemaFile,
} from "./schema-engine";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
export const SCHEMA_PATH = path.join(ROOT, "prisma", "schema.prisma");
export const MIGRATIONS_DIR = path.join(ROOT, "prisma", "migrations");
/** Not `.prisma`: a schema folder configured as `prisma/` must not pick the snapshot up as a second schema. */
export const SNAPSHOT_FILE = "schema.prisma.snapshot";

export class NewMigrationError extends Error {
  override name = "NewMigrationError";
}

export interface Snapshot {
  /** The migration directory whose end state `schema` describes. */
  migration: string;
  schema: string;
}

const SNAPSHOT_MARKER = "// snapshot-of-migration: ";

export function formatSnapshot(snapshot: Snapshot): string {
  return [
    "// Written by `npm run db:migration` (prisma/tools/new-migration.ts); do not edit.",
    "// prisma/schema.prisma as of the migration below: the next migration is the diff from here.",
    `${SNAPSHOT_MARKER}${snapshot.migration}`,
    "",
    snapshot.schema,
  ].join("\n");
}

export function parseSnapshot(text: string): Snapshot | null {
  const lines = text.split("\n");
  const markerIndex = lines.findIndex((line) => line.startsWith(SNAPSHOT_MARKER));
  if (markerIndex < 0) return null;
  const migration = lines[markerIndex]?.slice(SNAPSHOT_MARKER.length).trim() ?? "";
  if (!migration) return null;
  return { migration, schema: lines.slice(markerIndex + 2).join("\n") };
}

/** The name part of a migration directory, as Prisma would write it: lower-case words joined by `_`. */
export function migrationSlug(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 200);
}

/** `YYYYMMDDHHMMSS` in UTC, as Prisma names migration directories. */
export function migrationTimestamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

/** A timestamp for a new migration that sorts after every existing one, even with a skewed clock. */
function nextTimestamp(existing: readonly string[], now: Date): string {
  let timestamp = migrationTimestamp(now);
  const latest = existing
    .map((name) => /^(\d{14})_/.exec(name)?.[1])
    .filter((value): value is string => value !== undefined)
    .sort()
    .at(-1);
  if (latest && timestamp <= latest) {
    const parsed = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(latest);
    if (parsed) {
      const [, y, mo, d, h, mi, s] = parsed.map(Number) as [number, number, number, number, number, number, number];
      timestamp = migrationTimestamp(new Date(Date.UTC(y, mo - 1, d, h, mi, s + 1)));
    }
  }
  return timestamp;
}

async function answers(databaseUrl: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface Paths {
  schemaPath: string;
  migrationsDir: string;
}

const defaultPaths: Paths = { schemaPath: SCHEMA_PATH, migrationsDir: MIGRATIONS_DIR };

/** The existing migration directory names and the snapshot, checked against each other. */
async function currentState(paths: Paths): Promise<{ migrations: string[]; snapshot: Snapshot | null }> {
  const list = await readMigrationsList(paths.migrationsDir);
  const migrations = list.migrationDirectories.map((directory) => directory.path);
  const snapshotPath = path.join(paths.migrationsDir, SNAPSHOT_FILE);
  const snapshotText = existsSync(snapshotPath) ? await readFile(snapshotPath, "utf8") : null;
  const snapshot = snapshotText === null ? null : parseSnapshot(snapshotText);
  const relativeSnapshot = path.relative(process.cwd(), snapshotPath);
  if (snapshotText !== null && snapshot === null)
    throw new NewMigrationError(
      `${relativeSnapshot} is damaged (no "${SNAPSHOT_MARKER.trim()}" line); run with --baseline once schema.prisma matches the newest migration`,
    );
  const newest = migrations.at(-1);
  if (newest && !snapshot)
    throw new NewMigrationError(
      `${relativeSnapshot} is missing, so the schema of the existing migrations is unknown; make schema.prisma match ${newest}, then run with --baseline`,
    );
  if (newest && snapshot && snapshot.migration !== newest) {
    throw new NewMigrationError(
      `${relativeSnapshot} describes ${snapshot.migration} but the newest migration is ${newest} (written another way?); make schema.prisma match ${newest}, then run with --baseline`,
    );
  }
  return { migrations, snapshot: newest ? snapshot : null };
}

export interface CreatedMigration {
  /** Directory name, e.g. 20260101120000_add_x; null when the schema has no changes. */
  name: string | null;
  directory: string | null;
  sql: string;
}

/**
 * Writes a migration named `name` for the changes in schema.prisma since the last migration, and
 * the new snapshot. Returns `name: null` (and writes nothing) when there are no changes.
 */
export async function createMigration(name: string, options: { databaseUrl?: string; now?: Date; paths?: Paths } = {}): Promise<CreatedMigration> {
  const paths = options.paths ?? defaultPaths;
  const slug = migrationSlug(name);
  if (!slug) throw new NewMigrationError(`"${name}" is not a usable migration name; use letters, digits and underscores, e.g. add_invites`);
  const schema = await readFile(paths.schemaPath, "utf8");
  const { migrations, snapshot } = await currentState(paths);

  // Paths only label the engine's validation errors ("prisma/schema.prisma:26").
  const target: SchemaFile[] = [{ path: path.relative(process.cwd(), paths.schemaPath), content: schema }];
  const from: SchemaFile[] | "empty" = snapshot
    ? [{ path: path.relative(process.cwd(), path.join(paths.migrationsDir, SNAPSHOT_FILE)), content: snapshot.schema }]
    : "empty";
  const sql = await diffSql(from, target, { databaseUrl: options.databaseUrl });
  if (sql.trim() === "") return { name: null, directory: null, sql: "" };

  const migrationName = `${nextTimestamp(migrations, options.now ?? new Date())}_${slug}`;
  const directory = path.join(paths.migrationsDir, migrationName);
  if (existsSync(directory)) throw new NewMigrationError(`${path.relative(process.cwd(), directory)} already exists`);
  await mkdir(directory, { recursive: true });
  await writeFile(path.join(directory, MIGRATION_SCRIPT_FILE), sql, "utf8");
  await writeFile(path.join(paths.migrationsDir, MIGRATION_LOCK_FILE), MIGRATION_LOCK_CONTENT, "utf8");
  await writeFile(path.join(paths.migrationsDir, SNAPSHOT_FILE), formatSnapshot({ migration: migrationName, schema }), "utf8");
  return { name: migrationName, directory, sql };
}

/** Records schema.prisma as the end state of the newest migration (after migrations were written by other means). */
export async function baselineSnapshot(paths: Paths = defaultPaths): Promise<string> {
  const list = await readMigrationsList(paths.migrationsDir);
  const newest = list.migrationDirectories.at(-1)?.path;
  if (!newest) throw new NewMigrationError("there are no migrations to baseline; create the first one with `npm run db:migration -- init`");
  const schema = await readFile(paths.schemaPath, "utf8");
  await writeFile(path.join(paths.migrationsDir, SNAPSHOT_FILE), formatSnapshot({ migration: newest, schema }), "utf8");
  return newest;
}

const USAGE = "usage: npm run db:migration -- <name>   (or -- --baseline)";

async function main(args: string[]): Promise<number> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  try {
    if (args.includes("--help") || args.includes("-h")) {
      say(USAGE);
      return 0;
    }
    if (args.length === 1 && args[0] === "--baseline") {
      const newest = await baselineSnapshot();
      say(`Recorded prisma/schema.prisma as the schema of ${newest} in prisma/migrations/${SNAPSHOT_FILE}.`);
      return 0;
    }
    const [name, ...extra] = args;
    if (!name || name.startsWith("-") || extra.length > 0) {
      process.stderr.write(`db:migration: ${USAGE}\n`);
      return 1;
    }
    if (!migrationSlug(name)) throw new NewMigrationError(`"${name}" is not a usable migration name; use letters, digits and underscores, e.g. add_invites`);
    const databaseUrl = process.env.DATABASE_URL?.trim();
    const useServer = databaseUrl ? await answers(databaseUrl) : false;
    if (!useServer) say("Diffing with an in-memory PGlite (no DATABASE_URL answering)…");
    const created = await createMigration(name, { databaseUrl: useServer ? databaseUrl : undefined });
    if (!created.name || !created.directory) {
      say("No schema changes: prisma/schema.prisma matches the migrations.");
      return 0;
    }
    const steps = created.sql.split("\n").filter((line) => /^-- [A-Z]\w+$/.test(line)).length;
    say(`Wrote ${path.relative(process.cwd(), path.join(created.directory, MIGRATION_SCRIPT_FILE))} (${steps} step${steps === 1 ? "" : "s"}).`);
    say("Review it, then apply it with `npm run db:migrate`.");
    return 0;
  } catch (error) {
    // Engine errors here are mostly schema validation errors: their multi-line text points at the line.
    const message =
      error instanceof NewMigrationError || error instanceof SchemaEngineError
        ? error.message
        : `unexpected failure: ${error instanceof Error ? error.message : String(error)}`;
    process.stderr.write(`db:migration: ${message}\n`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await main(process.argv.slice(2));
}
