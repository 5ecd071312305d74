import { describe, expect, it } from "vitest";
import { coalesce } from "./coalesce";

describe("coalesce", () => {
  it("sends calls that arrive during a write together in the next write, in arrival order", async () => {
    const writes: number[][] = [];
    let release: () => void = () => undefined;
    const produce = coalesce<number>(async (items) => {
      writes.push(items);
      if (writes.length === 1) await new Promise<void>((resolve) => (release = resolve));
    });
    const first = produce([1]);
    const rest = [produce([2]), produce([3, 4]), produce([5])];
    release();
    await Promise.all([first, ...rest]);
    expect(writes).toEqual([[1], [2, 3, 4, 5]]);
  });

  it("rejects exactly the callers whose write failed", async () => {
    let calls = 0;
    const produce = coalesce<number>(async () => {
      calls += 1;
      if (calls === 1) throw new Error("broker down");
    });
    await expect(produce([1])).rejects.toThrow("broker down");
    await expect(produce([2])).resolves.toBeUndefined();
  });

  it("caps the items of one write", async () => {
    const writes: number[][] = [];
    let release: () => void = () => undefined;
    const produce = coalesce<number>(async (items) => {
      writes.push(items);
      if (writes.length === 1) await new Promise<void>((resolve) => (release = resolve));
    }, 3);
    const calls = [produce([0]), produce([1, 2]), produce([3, 4]), produce([5])];
    release();
    await Promise.all(calls);
    expect(writes).toEqual([[0], [1, 2], [3, 4, 5]]);
  });

  it("writes an `alone` call by itself, so isolating a poison record never mixes it with other callers' items", async () => {
    const writes: number[][] = [];
    let release: () => void = () => undefined;
    const write = coalesce<number>(async (items) => {
      writes.push(items);
      if (writes.length === 1) await new Promise<void>((resolve) => (release = resolve));
      if (items.includes(9)) throw new Error("poison");
    });
    const first = write([1]);
    const alone = write([9], true);
    const others = [write([2]), write([3])];
    release();
    await first;
    await expect(alone).rejects.toThrow("poison");
    await Promise.all(others);
    expect(writes).toEqual([[1], [9], [2, 3]]);
  });
});
