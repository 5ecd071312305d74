import { describe, expect, it } from "vitest";
import type { ResolvedKey } from "../src/core/tracking-plan";
import { createKeyCache } from "./key-cache";

/** A lookup whose answers the test controls, counting calls and holding them open on request. */
function fakeLookup() {
  const state = { calls: 0, live: true, hold: null as Promise<void> | null, fail: false };
  const lookup = async (apiKey: string): Promise<ResolvedKey | null> => {
    state.calls++;
    if (state.hold) await state.hold;
    if (state.fail) throw new Error("lookup down");
    return state.live ? ({ keyId: `key-of-${apiKey}` } as unknown as ResolvedKey) : null;
  };
  return { state, lookup };
}

function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("API key cache", () => {
  it("answers from the cache within the TTL and shares one lookup between concurrent requests", async () => {
    const { state, lookup } = fakeLookup();
    let clock = 0;
    const resolve = createKeyCache(lookup, 1000, () => clock);
    const answers = await Promise.all([resolve("k1"), resolve("k1"), resolve("k1")]);
    expect(answers.map((answer) => answer?.keyId)).toEqual(["key-of-k1", "key-of-k1", "key-of-k1"]);
    expect(state.calls).toBe(1);
    clock = 999;
    await resolve("k1");
    expect(state.calls).toBe(1);
  });

  it("after the TTL answers at once with the cached value while one background lookup refreshes it", async () => {
    const { state, lookup } = fakeLookup();
    let clock = 0;
    const resolve = createKeyCache(lookup, 1000, () => clock);
    await resolve("k1");
    state.live = false; // revoked
    const slow = gate();
    state.hold = slow.promise;
    clock = 1500;
    // Requests during the refresh do not wait for it.
    expect((await resolve("k1"))?.keyId).toBe("key-of-k1");
    expect((await resolve("k1"))?.keyId).toBe("key-of-k1");
    expect(state.calls).toBe(2);
    slow.open();
    state.hold = null;
    await flush();
    // Once the refresh has answered, the revocation holds.
    expect(await resolve("k1")).toBeNull();
    expect(state.calls).toBe(2);
  });

  it("makes a key unused for twice the TTL wait for a fresh lookup", async () => {
    const { state, lookup } = fakeLookup();
    let clock = 0;
    const resolve = createKeyCache(lookup, 1000, () => clock);
    await resolve("k1");
    state.live = false;
    clock = 2001;
    expect(await resolve("k1")).toBeNull();
    expect(state.calls).toBe(2);
  });

  it("keeps answering from the cache while refreshes fail, until the entry is too old, then surfaces the error", async () => {
    const { state, lookup } = fakeLookup();
    let clock = 0;
    const resolve = createKeyCache(lookup, 1000, () => clock);
    await resolve("k1");
    state.fail = true;
    clock = 1200;
    expect((await resolve("k1"))?.keyId).toBe("key-of-k1");
    await flush();
    clock = 2500;
    await expect(resolve("k1")).rejects.toThrow("lookup down");
  });

  it("caches nothing with a TTL of 0, so every request looks the key up", async () => {
    const { state, lookup } = fakeLookup();
    const resolve = createKeyCache(lookup, 0);
    await resolve("k1");
    await resolve("k1");
    expect(state.calls).toBe(2);
  });

  it("keeps keys apart", async () => {
    const { lookup } = fakeLookup();
    const resolve = createKeyCache(lookup, 1000, () => 0);
    expect((await resolve("a"))?.keyId).toBe("key-of-a");
    expect((await resolve("b"))?.keyId).toBe("key-of-b");
  });
});
