/**
 * Coalesces concurrent produce calls into one: callers that arrive while a write is in flight
 * wait and go together in the next write. With an idempotent producer (one request in flight
 * per broker) this turns N round trips into about one, without adding a fixed delay.
 * Each caller's promise settles with the write that carried its records.
 */
export function coalesce<T>(write: (items: T[]) => Promise<void>, maxItems = 5000): (items: T[], alone?: boolean) => Promise<void> {
  const queue: Array<{ items: T[]; alone: boolean; resolve: () => void; reject: (error: unknown) => void }> = [];
  let writing = false;

  async function drain(): Promise<void> {
    writing = true;
    while (queue.length > 0) {
      const batch: typeof queue = [];
      let count = 0;
      // An `alone` caller (isolating a poison record) must not fail, or be failed by, anyone else's items.
      while (queue.length > 0 && (batch.length === 0 || (count + queue[0]!.items.length <= maxItems && !queue[0]!.alone && !batch[0]!.alone))) {
        const next = queue.shift()!;
        batch.push(next);
        count += next.items.length;
      }
      try {
        await write(batch.flatMap((entry) => entry.items));
        for (const entry of batch) entry.resolve();
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    writing = false;
  }

  return (items, alone = false) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ items, alone, resolve, reject });
      if (!writing) void drain();
    });
}
