import { describeError } from "~/server/api/error-log";
import type { Logger } from "~/platform/logger";
import { appLogger } from "~/server/logger";

const running = new Set<Promise<void>>();

/**
 * Starts work a request does not wait for, so how long the answer takes cannot tell whether the
 * work was done (e.g. whether an address has an account). The Node server outlives the answer, so
 * the work runs to completion there; a failure is logged, never left as an unhandled rejection.
 */
export function runDetached(name: string, work: () => Promise<unknown>, log: () => Logger = () => appLogger().child({ component: "detached" })): void {
  const task: Promise<void> = Promise.resolve()
    .then(work)
    .then(
      () => undefined,
      (error: unknown) => {
        try {
          log().error({ task: name, err: describeError(error) }, "detached work failed");
        } catch {
          // Without a usable logger (configuration unreadable) the failure must still be seen somewhere.
          console.error(`detached work "${name}" failed:`, describeError(error).message);
        }
      },
    )
    .finally(() => running.delete(task));
  running.add(task);
}

/** Resolves once every detached task, including ones started meanwhile, has finished (tests, shutdown). */
export async function detachedWorkSettled(): Promise<void> {
  while (running.size > 0) await Promise.all([...running]);
}
