import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Native and server-only packages stay out of the bundle.
  serverExternalPackages: ["@duckdb/node-api", "kafkajs", "pino", "pg", "bcryptjs"],
  poweredByHeader: false,
};

export default nextConfig;
