export type CheckResult = { ok: true; detail?: string } | { ok: false; detail: string };
export type HealthCheck = () => Promise<CheckResult>;

/** Runs each named check with a time limit; the process is healthy when all pass. */
export async function runHealthChecks(
  checks: Record<string, HealthCheck>,
  timeoutMs = 2000,
): Promise<{ healthy: boolean; checks: Record<string, CheckResult> }> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, CheckResult]> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<CheckResult>((resolve) => {
        timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
      });
      try {
        const result = await Promise.race([check(), timeout]);
        return [name, result];
      } catch (error) {
        return [name, { ok: false, detail: error instanceof Error ? error.message : String(error) }];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { healthy: entries.every(([, result]) => result.ok), checks: Object.fromEntries(entries) };
}
