/**
 * The training loop is synchronous tensor work between awaits that resolve at once (microtasks),
 * so without a real yield no timer, signal handler, I/O callback or `stopTraining = true` set
 * from outside runs until the fit ends. Like tfjs's `yieldEvery`, the loop hands the event loop
 * a macrotask turn whenever enough time has passed since the last one.
 */
export type YieldEvery = 'auto' | 'batch' | 'never' | number;

/** 'auto': often enough for a 20 ms timer to run on time, rarely enough to cost nothing measurable. */
export const AUTO_YIELD_MS = 25;

export function isYieldEvery(value: unknown): value is YieldEvery {
  return value === 'auto' || value === 'batch' || value === 'never' || (typeof value === 'number' && Number.isFinite(value) && value >= 0);
}

/** One macrotask turn: due timers and I/O run before it resolves (setImmediate in Node). */
function nextTurn(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
  return new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
}

/** Returns `maybeYield()`: resolves at once unless the interval has passed, then after a turn. */
export function createYielder(every: YieldEvery): () => Promise<void> | undefined {
  if (every === 'never') return () => undefined;
  const interval = every === 'batch' ? 0 : every === 'auto' ? AUTO_YIELD_MS : every;
  let last = performance.now();
  return () => {
    if (performance.now() - last < interval) return undefined;
    return nextTurn().then(() => {
      last = performance.now();
    });
  };
}
