import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { detachedWorkSettled, runDetached } from "~/server/detached";

function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: "info" }, stream), lines };
}

describe("runDetached", () => {
  it("returns before the work is done, and the work still runs to completion", async () => {
    const done: string[] = [];
    runDetached("slow", async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      done.push("slow");
    });
    expect(done).toEqual([]);
    await detachedWorkSettled();
    expect(done).toEqual(["slow"]);
  });

  it("logs a failure with the task's name instead of rejecting into nowhere", async () => {
    const { log, lines } = capturingLogger();
    runDetached(
      "password reset mail",
      async () => {
        throw new Error("SMTP server refused the connection\nwith details that must not be logged");
      },
      () => log,
    );
    await detachedWorkSettled();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, task: "password reset mail", msg: "detached work failed" });
    expect(lines[0]?.err).toMatchObject({ message: "SMTP server refused the connection" });
    expect(JSON.stringify(lines)).not.toContain("must not be logged");
  });

  it("waits for work started by other detached work", async () => {
    const done: string[] = [];
    runDetached("outer", async () => {
      runDetached("inner", async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        done.push("inner");
      });
    });
    await detachedWorkSettled();
    expect(done).toEqual(["inner"]);
  });
});
