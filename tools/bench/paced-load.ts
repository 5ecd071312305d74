/**
 * An open-loop load generator at a steady rate: request i is due at start + i / rate and is sent
 * then, whether or not earlier ones have answered, over a pool of keep-alive connections. Latency
 * is measured from the due time, so a stalled server or a late client shows up in the figures
 * (no coordinated omission).
 *
 * autocannon's `overallRate` is a different test: each connection sends its share of a second's
 * requests back to back at the start of every second and then waits, so "1,000 requests/s" arrives
 * as one burst per second, and its latency is the time to drain that burst.
 */
import http from "node:http";

export interface PacedResult {
  sent: number;
  ok: number;
  failed: number;
  /** Requests answered per second over the run. */
  achievedRate: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export async function pacedLoad(opts: {
  url: string;
  body: string;
  headers: Record<string, string>;
  rate: number;
  seconds: number;
  maxSockets?: number;
}): Promise<PacedResult> {
  const url = new URL(opts.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64 });
  const headers = { "content-type": "application/json", "content-length": String(Buffer.byteLength(opts.body)), ...opts.headers };
  const total = Math.round(opts.rate * opts.seconds);
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  let answered = 0;

  const send = (due: number) =>
    new Promise<void>((resolve) => {
      const request = http.request({ host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: "POST", agent, headers }, (response) => {
        response.resume();
        response.on("end", () => {
          latencies.push(performance.now() - due);
          if (response.statusCode !== undefined && response.statusCode >= 200 && response.statusCode < 300) ok++;
          else failed++;
          answered++;
          resolve();
        });
      });
      request.on("error", () => {
        failed++;
        answered++;
        resolve();
      });
      request.end(opts.body);
    });

  const pending: Array<Promise<void>> = [];
  const start = performance.now();
  let next = 0;
  while (next < total) {
    const now = performance.now();
    while (next < total && start + (next * 1000) / opts.rate <= now) {
      pending.push(send(start + (next * 1000) / opts.rate));
      next++;
    }
    // Timers tick about every millisecond; a busy loop would take a core from the server under test.
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))] ?? NaN;
  return { sent: total, ok, failed, achievedRate: answered / elapsed, p50: at(50), p90: at(90), p99: at(99), max: latencies[latencies.length - 1] ?? NaN };
}
