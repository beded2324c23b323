/**
 * The memory the replicas share, and the barrier they meet at. Everything that crosses between
 * threads during a fit is in these SharedArrayBuffers; messages carry only the setup and the end.
 *
 * Gradients are summed reduce-scatter style: replica w writes its whole gradient into slot w,
 * everyone meets at the barrier, replica w sums chunk w over the slots in the fixed order
 * 0, 1, ..., n-1 into `sum`, everyone meets again and reads all of `sum`. The order of additions
 * per element never depends on timing, so two runs with the same worker count are bit-identical.
 */

/** Int32 cells of the control block. */
export const CTRL = { count: 0, generation: 1, abort: 2 } as const;
export const CTRL_CELLS = 4;
/** How long one wait lasts before re-checking the abort flag (ms). */
const WAIT_SLICE_MS = 200;

export class ReplicaAborted extends Error {
  constructor() {
    super('another replica failed; this one stops');
    this.name = 'ReplicaAborted';
  }
}

export interface SharedLayout {
  control: SharedArrayBuffer;
  /** n slots of `params` floats: each replica's gradient. */
  slots: SharedArrayBuffer;
  /** `params` floats: the summed gradient. */
  sum: SharedArrayBuffer;
  /** n floats: each replica's contribution to the batch loss. */
  losses: SharedArrayBuffer;
}

export function allocateShared(workers: number, params: number): SharedLayout {
  return {
    control: new SharedArrayBuffer(CTRL_CELLS * 4),
    slots: new SharedArrayBuffer(workers * params * 4),
    sum: new SharedArrayBuffer(params * 4),
    losses: new SharedArrayBuffer(workers * 8),
  };
}

/** Marks the fit as failed and wakes every replica waiting at the barrier. */
export function abortAll(control: Int32Array): void {
  Atomics.store(control, CTRL.abort, 1);
  Atomics.add(control, CTRL.generation, 1);
  Atomics.notify(control, CTRL.generation);
}

/** Waits until all `parties` replicas arrive; throws ReplicaAborted when the fit has failed. */
export function barrier(control: Int32Array, parties: number): void {
  if (Atomics.load(control, CTRL.abort) !== 0) throw new ReplicaAborted();
  const generation = Atomics.load(control, CTRL.generation);
  if (Atomics.add(control, CTRL.count, 1) === parties - 1) {
    Atomics.store(control, CTRL.count, 0);
    Atomics.add(control, CTRL.generation, 1);
    Atomics.notify(control, CTRL.generation);
    return;
  }
  while (Atomics.load(control, CTRL.generation) === generation) {
    Atomics.wait(control, CTRL.generation, generation, WAIT_SLICE_MS);
  }
  if (Atomics.load(control, CTRL.abort) !== 0) throw new ReplicaAborted();
}

/** Rows [start, end) of a batch of `size` rows that replica `index` of `workers` computes. */
export function sliceOf(size: number, workers: number, index: number): [number, number] {
  const base = Math.floor(size / workers);
  const extra = size % workers;
  const start = index * base + Math.min(index, extra);
  return [start, start + base + (index < extra ? 1 : 0)];
}

/** Sums chunk `index` of the gradient slots, in slot order, into `sum`. */
export function reduceChunk(slots: Float32Array, sum: Float32Array, workers: number, index: number): void {
  const params = sum.length;
  const [start, end] = sliceOf(params, workers, index);
  sum.set(slots.subarray(start, end), start);
  for (let w = 1; w < workers; w++) {
    const offset = w * params;
    for (let i = start; i < end; i++) sum[i] += slots[offset + i]!;
  }
}
