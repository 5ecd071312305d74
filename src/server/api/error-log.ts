import { randomUUID } from "node:crypto";
import type { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { ZodError } from "zod";
import type { Logger } from "~/platform/logger";

/** A caller's X-Request-Id when it is a plain token, so a proxy's id links the logs; else a fresh one. */
export function requestIdOf(request: Request): string {
  const given = request.headers.get("x-request-id");
  return given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

/**
 * An error as a log field: its name, first message line and stack frames. Inputs never appear:
 * the procedure's input is not logged, and multi-line messages (Prisma renders the call's
 * arguments there, hashes and tokens included) are cut to their first line.
 */
export function describeError(error: unknown): { type: string; message: string; stack?: string } {
  if (!(error instanceof Error)) return { type: typeof error, message: "non-Error thrown" };
  const message = (error.message.split("\n")[0] ?? "").slice(0, 300);
  const frames = error.stack
    ?.split("\n")
    .filter((line) => line.trimStart().startsWith("at "))
    .join("\n");
  return { type: error.name, message, ...(frames ? { stack: `${error.name}: ${message}\n${frames}` } : {}) };
}

/**
 * Logs one failed procedure: server faults at error level with the stack, refused access at warn,
 * other client mistakes at info. Validation failures name the fields, never their values.
 */
export function logTRPCError(log: Logger, opts: { error: TRPCError; path: string | undefined; type: string; requestId: string }): void {
  const { error, requestId } = opts;
  const fields = { requestId, path: opts.path ?? "(unknown)", type: opts.type, code: error.code };
  const status = getHTTPStatusCodeFromError(error);
  if (status >= 500) {
    log.error({ ...fields, err: describeError(error.cause ?? error) }, "tRPC procedure failed");
  } else if (error.cause instanceof ZodError) {
    const issues = error.cause.issues.map((issue) => ({ path: issue.path.join("."), code: issue.code }));
    log.info({ ...fields, issues }, "tRPC input refused");
  } else if (error.code === "UNAUTHORIZED" || error.code === "FORBIDDEN" || error.code === "TOO_MANY_REQUESTS") {
    log.warn({ ...fields, reason: error.message }, "tRPC access refused");
  } else {
    log.info({ ...fields, reason: error.message }, "tRPC procedure refused");
  }
}
