import { describe, expect, it } from "vitest";
import { RateLimiter } from "./rate-limit";

describe("RateLimiter", () => {
  it("allows one second's worth at once by default, then refills at the rate", () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    for (let index = 0; index < 5; index++) expect(limiter.take("k", 5)).toBe(0);
    expect(limiter.take("k", 5)).toBe(200);
    now += 200;
    expect(limiter.take("k", 5)).toBe(0);
  });

  it("allows a larger burst when given one, refilled at the same rate (the REST API's 100 per 10 s)", () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    for (let index = 0; index < 100; index++) expect(limiter.take("k", 10, 100)).toBe(0);
    expect(limiter.take("k", 10, 100)).toBe(100);
    expect(limiter.take("other", 10, 100)).toBe(0);
    now += 10_000;
    for (let index = 0; index < 100; index++) expect(limiter.take("k", 10, 100)).toBe(0);
    expect(limiter.take("k", 10, 100)).toBeGreaterThan(0);
  });
});
