/**
 * `npm run db:generate` (also `postinstall`): `prisma generate` with the local CLI, writing the
 * client to src/generated/prisma.
 *
 * The Prisma CLI insists on a native schema engine at start-up and downloads one when it has
 * none, which fails on networks that cannot reach Prisma's binaries host. `generate` never runs
 * that engine, so PRISMA_SCHEMA_ENGINE_BINARY points the check at a file that exists (the wasm
 * engine this project uses instead; executing it would fail loudly rather than do something odd).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";

const ROOT = path.resolve(import.meta.dirname, "..", "..");

/** Environment for any Prisma CLI run in this project: no downloads, no telemetry, no update nags. */
export function prismaCliEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const require = createRequire(import.meta.url);
  const configured = base.PRISMA_SCHEMA_ENGINE_BINARY;
  const engineStandIn =
    configured && existsSync(path.resolve(ROOT, configured))
      ? configured
      : path.join(path.dirname(require.resolve("@prisma/schema-engine-wasm/schema_engine_bg")), "schema_engine_bg.wasm");
  return {
    ...base,
    PRISMA_SCHEMA_ENGINE_BINARY: engineStandIn,
    PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING: "1",
    CHECKPOINT_DISABLE: "1", // telemetry and the update check
    PRISMA_HIDE_UPDATE_MESSAGE: "1",
  };
}

/** Path of the Prisma CLI installed in node_modules, or null when it is not installed. */
function prismaCliPath(): string | null {
  const require = createRequire(import.meta.url);
  try {
    return path.join(path.dirname(require.resolve("prisma/package.json")), "build", "index.js");
  } catch {
    return null;
  }
}

/** Runs `prisma generate`; resolves with the CLI's exit code (its output goes to ours). */
export async function generateClient(extraArgs: readonly string[] = []): Promise<number> {
  const cli = prismaCliPath();
  if (!cli) throw new Error("the Prisma CLI is not installed (devDependency `prisma`); run `npm install` first");
  return await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [cli, "generate", ...extraArgs], { cwd: ROOT, env: prismaCliEnv(), stdio: "inherit" });
    child.once("error", reject);
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  try {
    process.exitCode = await generateClient(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`db:generate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
