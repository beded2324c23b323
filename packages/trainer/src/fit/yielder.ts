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

/** The part of a browser's MessagePort used here (Node's typings describe Node's own ports). */
interface PagePort {
  onmessage: ((event: unknown) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
}

/**
 * One macrotask turn: due timers and I/O run before it resolves. setImmediate in Node; in a
 * browser a MessageChannel message, because browsers clamp a nested setTimeout(0) to 4 ms or
 * more (5.1 ms per yield measured in Chromium, against 0.5 ms for a message).
 */
function nextTurn(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate;
  if (immediate) return new Promise((resolve) => immediate(resolve));
  const Channel = (globalThis as unknown as { MessageChannel?: new () => { port1: PagePort; port2: PagePort } }).MessageChannel;
  if (Channel) {
    return new Promise((resolve) => {
      const channel = new Channel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(undefined);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
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
