/**
 * Runs `task` over `items` with at most `concurrency` in flight, in order of start; stops
 * starting new items once `signal` is aborted.
 */
export async function runWorkerPool<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !signal?.aborted) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}
