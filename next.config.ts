import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Native and server-only packages stay out of the bundle.
  serverExternalPackages: ["@duckdb/node-api", "@electric-sql/pglite", "@electric-sql/pglite-socket", "kafkajs", "pino", "pg", "bcryptjs"],
  poweredByHeader: false,
};

export default nextConfig;
