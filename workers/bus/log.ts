/** Where a bus reports what it cannot return to a caller: handler failures, retries, client warnings. */
export type BusLogLevel = "error" | "warn" | "info" | "debug";
export type BusLog = (level: BusLogLevel, message: string, fields?: Record<string, unknown>) => void;

const RANK: Record<BusLogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

/** Logs at `minimum` or more severe to the console, one line each. */
export function consoleBusLog(minimum: BusLogLevel = "warn"): BusLog {
  return (level, message, fields) => {
    if (RANK[level] > RANK[minimum]) return;
    const line = fields && Object.keys(fields).length > 0 ? `${message} ${safeJson(fields)}` : message;
    if (level === "error") console.error(`[bus] ${line}`);
    else if (level === "warn") console.warn(`[bus] ${line}`);
    else console.log(`[bus] ${line}`);
  };
}

export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) return { error: `${error.name}: ${error.message}` };
  return { error: String(error) };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  } catch {
    return String(value);
  }
}
