/**
 * What a child process or a socket has sent so far, each item as it came,
 * and a wait for the first (come already or still to come) that matches.
 */
export interface Watched<T> {
  items: T[];
  /** Adds items as they come, waking the waits. */
  push(...items: T[]): void;
  next(match: (item: T) => boolean, timeoutMs?: number): Promise<T>;
}

/** `describe` names what was watched in a wait's failure, with everything seen. */
export function watched<T>(describe: (items: readonly T[]) => string): Watched<T> {
  const items: T[] = [];
  const waiters = new Set<() => void>();
  return {
    items,
    push(...added) {
      items.push(...added);
      for (const wake of waiters) wake();
    },
    next: (match, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = items.find(match);
          if (found === undefined) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no match within ${timeoutMs} ms: ${describe(items)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}
