/**
 * Token buckets per API key, in the memory of one edge instance: `ratePerSecond` tokens a
 * second, bursts up to `burst` (one second's worth unless given). `take` answers 0 when allowed,
 * else the wait in ms.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; updated: number }>();

  constructor(
    private readonly now: () => number = () => Date.now(),
    private readonly maxKeys = 100_000,
  ) {}

  take(key: string, ratePerSecond: number, burst: number = ratePerSecond): number {
    const time = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.buckets.clear();
      bucket = { tokens: burst, updated: time };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(burst, bucket.tokens + ((time - bucket.updated) / 1000) * ratePerSecond);
    bucket.updated = time;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) / ratePerSecond) * 1000);
  }
}
