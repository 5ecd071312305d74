import path from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
const eslint = new ESLint({ cwd: ROOT });

/** The boundary messages ESLint gives `code` as if it were the file at `file`. */
async function boundaryErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return (result?.messages ?? []).filter((message) => message.ruleId === "@typescript-eslint/no-restricted-imports").map((message) => message.message);
}

describe("the import boundaries lint", () => {
  it("refuses imports that cross a boundary", async () => {
    expect(await boundaryErrors("src/core/example.ts", 'import { db } from "~/server/db";\nexport const x = db;\n')).toEqual([
      expect.stringContaining("src/core is pure"),
    ]);
    expect(await boundaryErrors("src/core/example.ts", 'import { createLogger } from "../platform/logger";\nexport const x = createLogger;\n')).toHaveLength(1);
    expect(await boundaryErrors("src/contracts/example.ts", 'import { db } from "~/platform/db";\nexport const x = db;\n')).toEqual([
      expect.stringContaining("src/contracts is declared once"),
    ]);
    expect(await boundaryErrors("src/platform/example.ts", 'import { appEnv } from "~/server/env";\nexport const x = appEnv;\n')).toEqual([
      expect.stringContaining("src/platform is shared"),
    ]);
    expect(await boundaryErrors("workers/example.ts", 'import { db } from "../src/server/db";\nexport const x = db;\n')).toEqual([
      expect.stringContaining("workers/ never imports the web app"),
    ]);
    expect(await boundaryErrors("workers/example.ts", 'import { launch } from "../tools/launcher";\nexport const x = launch;\n')).toHaveLength(1);
    expect(await boundaryErrors("src/server/example.ts", 'import { startWorker } from "../../workers/main";\nexport const x = startWorker;\n')).toEqual([
      expect.stringContaining("never import the worker"),
    ]);
  });

  it("lets imports run downward", async () => {
    expect(await boundaryErrors("src/platform/example.ts", 'import { RESERVED_KEYS } from "~/core/storable";\nexport const x = RESERVED_KEYS;\n')).toEqual([]);
    expect(await boundaryErrors("workers/example.ts", 'import { createLogger } from "../src/platform/logger";\nexport const x = createLogger;\n')).toEqual([]);
    expect(await boundaryErrors("src/contracts/example.ts", 'import { timeZoneSchema } from "~/core/reports";\nexport const x = timeZoneSchema;\n')).toEqual(
      [],
    );
    expect(await boundaryErrors("src/core/example.ts", 'import { RESERVED_KEYS } from "./storable";\nexport const x = RESERVED_KEYS;\n')).toEqual([]);
    expect(await boundaryErrors("tools/example.ts", 'import { startWorker } from "../workers/main";\nexport const x = startWorker;\n')).toEqual([]);
    // The query service's router type is the one thing the app takes from the worker, erased at build.
    expect(
      await boundaryErrors("src/server/example.ts", 'import type { QueryRouter } from "../../workers/query/router";\nexport type X = QueryRouter;\n'),
    ).toEqual([]);
  });
});
