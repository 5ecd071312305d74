/**
 * The migrations folder is the source of truth for every database; schema.prisma for the client.
 * These checks keep the two in step: applying prisma/migrations must build exactly the database
 * that schema.prisma describes (as `diff(empty → schema.prisma)` creates it), with Prisma's own
 * `_prisma_migrations` bookkeeping, idempotently, and the generated client must work on it.
 *
 * A failure in the catalog comparison usually means schema.prisma changed without a migration:
 * run `npm run db:migration -- <name>`.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { PrismaClient } from "../src/generated/prisma/client";
import { createTestDatabase, DEFAULT_TEST_DATABASE_URL } from "../src/testing/postgres";
import { migrateDatabase, MIGRATIONS_DIR } from "./tools/migrate";
import { parseSnapshot, SCHEMA_PATH, SNAPSHOT_FILE } from "./tools/new-migration";
import { diffSql, MIGRATION_LOCK_CONTENT, MIGRATION_LOCK_FILE, readMigrationsList } from "./tools/schema-engine";

type TestDatabase = Awaited<ReturnType<typeof createTestDatabase>>;

// The global setup provides the server; without it (another config), the same env var and default.
const serverUrl: string = inject("postgresServerUrl") ?? process.env.TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

type Row = Record<string, unknown>;

async function rows(client: pg.Client, sql: string): Promise<Row[]> {
  return (await client.query<Row>(sql)).rows;
}

type Catalog = Record<"tables" | "columns" | "indexes" | "constraints" | "enums" | "sequences" | "extensions", Row[]>;

/**
 * Everything about the `public` schema that a migration can change, in a stable order, minus
 * Prisma's own `_prisma_migrations`. Column order and enum label order are left out: a column or
 * value added by a later migration lands at the end, where a fresh CREATE would put it in place.
 */
async function catalog(url: string): Promise<Catalog> {
  return await withClient(url, async (client) => ({
    tables: await rows(
      client,
      `SELECT table_name, table_type FROM information_schema.tables
        WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' ORDER BY table_name`,
    ),
    columns: await rows(
      client,
      `SELECT c.relname AS table_name, a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS type,
              a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default_value,
              a.attidentity AS identity, a.attgenerated AS generated, co.collname AS collation
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 0
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped
          AND c.relname <> '_prisma_migrations'
        ORDER BY 1, 2`,
    ),
    indexes: await rows(
      client,
      `SELECT tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY tablename, indexname`,
    ),
    constraints: await rows(
      client,
      `SELECT cl.relname AS table_name, con.conname, con.contype, pg_get_constraintdef(con.oid) AS definition
         FROM pg_constraint con
         JOIN pg_namespace n ON n.oid = con.connamespace
         LEFT JOIN pg_class cl ON cl.oid = con.conrelid
        WHERE n.nspname = 'public' AND coalesce(cl.relname, '') <> '_prisma_migrations'
        ORDER BY 1, 2`,
    ),
    enums: await rows(
      client,
      `SELECT t.typname, array_agg(e.enumlabel::text ORDER BY e.enumlabel::text) AS labels
         FROM pg_type t
         JOIN pg_enum e ON e.enumtypid = t.oid
         JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public'
        GROUP BY t.typname ORDER BY t.typname`,
    ),
    sequences: await rows(
      client,
      `SELECT sequence_name, data_type, start_value, increment, maximum_value FROM information_schema.sequences
        WHERE sequence_schema = 'public' ORDER BY sequence_name`,
    ),
    extensions: await rows(client, `SELECT extname FROM pg_extension ORDER BY extname`),
  }));
}

async function currentDatabase(url: string): Promise<string> {
  return await withClient(url, async (client) => String((await client.query<{ db: string }>("SELECT current_database() AS db")).rows[0]?.db));
}

let migrated: TestDatabase;
let fromSchema: TestDatabase;
let migrationNames: string[];
let appliedOnFirstRun: string[];

beforeAll(async () => {
  migrated = await createTestDatabase(serverUrl, "prism_migrations");
  fromSchema = await createTestDatabase(serverUrl, "prism_schema");
  // A server that ignores the database name (PGlite's socket server) would make this test meaningless.
  expect(await currentDatabase(migrated.url)).toBe(migrated.name);
  expect(await currentDatabase(fromSchema.url)).toBe(fromSchema.name);

  migrationNames = (await readMigrationsList(MIGRATIONS_DIR)).migrationDirectories.map((directory) => directory.path);
  appliedOnFirstRun = await migrateDatabase(migrated.url);

  const schema = await readFile(SCHEMA_PATH, "utf8");
  const sql = await diffSql("empty", [{ path: "schema.prisma", content: schema }], { databaseUrl: serverUrl });
  await withClient(fromSchema.url, (client) => client.query(sql));
});

afterAll(async () => {
  await migrated?.drop();
  await fromSchema?.drop();
});

describe("prisma/migrations", () => {
  it("is in the standard layout, with at least one migration and the lock file", async () => {
    expect(migrationNames.length).toBeGreaterThan(0);
    for (const name of migrationNames) expect(name).toMatch(/^\d{14}_[a-z0-9_]+$/);
    expect(await readFile(path.join(MIGRATIONS_DIR, MIGRATION_LOCK_FILE), "utf8")).toBe(MIGRATION_LOCK_CONTENT);
  });

  it("builds exactly the database schema.prisma describes", async () => {
    const [actual, expected] = await Promise.all([catalog(migrated.url), catalog(fromSchema.url)]);
    expect(expected.tables.length).toBeGreaterThan(0);
    expect(expected.tables).toContainEqual({ table_name: "users", table_type: "BASE TABLE" });
    expect(actual).toEqual(expected);
  });

  it("records one finished row per migration in _prisma_migrations, as migrate deploy does", async () => {
    expect(appliedOnFirstRun).toEqual(migrationNames);
    const recorded = await withClient(migrated.url, (client) =>
      rows(client, "SELECT migration_name, checksum, finished_at, rolled_back_at, logs, applied_steps_count FROM _prisma_migrations ORDER BY migration_name"),
    );
    const expected = await Promise.all(
      migrationNames.map(async (name) => ({
        migration_name: name,
        checksum: createHash("sha256")
          .update(await readFile(path.join(MIGRATIONS_DIR, name, "migration.sql")))
          .digest("hex"),
        finished_at: expect.any(Date),
        rolled_back_at: null,
        logs: null,
        applied_steps_count: 1,
      })),
    );
    expect(recorded).toEqual(expected);
  });

  it("applies nothing the second time", async () => {
    const before = await catalog(migrated.url);
    const count = () => withClient(migrated.url, async (client) => (await rows(client, "SELECT count(*)::int AS n FROM _prisma_migrations"))[0]?.n);
    const rowsBefore = await count();
    expect(await migrateDatabase(migrated.url)).toEqual([]);
    expect(await count()).toBe(rowsBefore);
    expect(await catalog(migrated.url)).toEqual(before);
  });

  it("has a schema snapshot for the newest migration that matches schema.prisma", async () => {
    const snapshot = parseSnapshot(await readFile(path.join(MIGRATIONS_DIR, SNAPSHOT_FILE), "utf8"));
    expect(snapshot?.migration).toBe(migrationNames.at(-1));
    const schema = await readFile(SCHEMA_PATH, "utf8");
    const pending = await diffSql([{ path: SNAPSHOT_FILE, content: snapshot?.schema ?? "" }], [{ path: "schema.prisma", content: schema }], {
      databaseUrl: serverUrl,
    });
    expect(pending, "schema.prisma has changes without a migration: run `npm run db:migration -- <name>`").toBe("");
  });

  it("works with the generated Prisma Client", async () => {
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: migrated.url }) });
    try {
      const created = await prisma.user.create({ data: { email: "migrations@example.com", name: "Migrations", passwordHash: "x" } });
      expect(created.id).toMatch(/^c[a-z0-9]{20,}$/);
      const read = await prisma.user.findUniqueOrThrow({ where: { email: "migrations@example.com" }, include: { memberships: true } });
      expect(read).toMatchObject({ id: created.id, name: "Migrations", emailVerifiedAt: null, memberships: [] });
      expect(read.createdAt).toBeInstanceOf(Date);
      const project = await prisma.organization.create({
        data: { name: "Org", slug: "org", projects: { create: { id: "proj_test", name: "P" } } },
        select: { projects: true },
      });
      expect(project.projects[0]).toMatchObject({ timezone: "UTC", dataRetentionDays: 365, allowedEventNames: [], planEnforcement: "observe" });
    } finally {
      await prisma.$disconnect();
    }
  });
});
