import type { ServerResponse } from "node:http";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ExportWriter } from "./export";

/** Collects what the writer sends; a socket that never pushes back. */
function sink(): { res: ServerResponse; text: () => string } {
  let text = "";
  const res = { destroyed: false, write: (chunk: string) => ((text += chunk), true) } as unknown as ServerResponse;
  return { res, text: () => text };
}

const cell = fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
const jsonObject = fc
  .dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }))
  .map((value) => JSON.parse(JSON.stringify(value)) as Record<string, unknown>);

describe("ExportWriter", () => {
  it("writes each row as the object a reader expects, with JSON-text columns nested (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(cell, jsonObject), { maxLength: 20 }), fc.constantFrom("json" as const, "ndjson" as const), async (rows, format) => {
        const out = sink();
        const writer = new ExportWriter(out.res, format);
        await writer.start(["name", "props"], ["props"]);
        await writer.rowsOf(rows.map(([value, props]) => [value, JSON.stringify(props)]));
        await writer.finish();
        const parsed =
          format === "json"
            ? (JSON.parse(out.text()) as unknown[])
            : out
                .text()
                .split("\n")
                .filter(Boolean)
                .map((line) => JSON.parse(line) as unknown);
        // JSON.stringify turns -0 into 0, which the reference does as well.
        expect(parsed).toEqual(rows.map(([value, props]) => JSON.parse(JSON.stringify({ name: value, props })) as unknown));
      }),
    );
  });

  it("keeps JSON-text columns as quoted text in CSV", async () => {
    const out = sink();
    const writer = new ExportWriter(out.res, "csv");
    await writer.start(["name", "props"], ["props"]);
    await writer.rowsOf([["a", '{"k":"v"}']]);
    expect(out.text()).toBe('name,props\r\na,"{""k"":""v""}"\r\n');
  });
});
