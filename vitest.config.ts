import path from "node:path";
import { defineConfig } from "vitest/config";

const alias = {
  "~": path.resolve(import.meta.dirname, "src"),
  "@edge": path.resolve(import.meta.dirname, "edge"),
  "@workers": path.resolve(import.meta.dirname, "workers"),
};
const sources = "{src,edge,workers,tools,prisma}/**";

export default defineConfig({
  resolve: { alias },
  test: {
    pool: "forks",
    reporters: ["default"],
    projects: [
      {
        resolve: { alias },
        test: { name: "unit", include: [`${sources}/*.test.ts`], exclude: [`${sources}/*.int.test.ts`, "**/node_modules/**"], testTimeout: 30_000 },
      },
      {
        // Real PostgreSQL and a real Kafka broker, started once by the global setup.
        resolve: { alias },
        test: {
          name: "integration",
          include: [`${sources}/*.int.test.ts`],
          exclude: ["**/node_modules/**"],
          globalSetup: ["./vitest.global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
