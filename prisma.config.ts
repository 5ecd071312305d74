/**
 * Prisma CLI configuration (Prisma 7 reads the datasource URL from here, not from schema.prisma).
 * The project's scripts (`npm run db:*`, see prisma/tools/) do not need the native schema engine;
 * this file keeps plain `prisma` commands working where that engine is available.
 */
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  // A placeholder when unset, so commands that never connect (generate, validate, format) run without a database.
  datasource: { url: process.env.DATABASE_URL || "postgresql://postgres@127.0.0.1:5432/prism" },
});
