import seedrandom from 'seedrandom';

/**
 * The sample order of one epoch. It depends only on (seed, epoch), never on RNG state left by
 * earlier epochs, so a run resumed at epoch k shuffles exactly as an uninterrupted one.
 */
export function epochOrder(size: number, seed: string | number, epoch: number): Int32Array {
  const random = seedrandom.alea(`${seed}/epoch-${epoch}`);
  const order = new Int32Array(size);
  for (let i = 0; i < size; i++) order[i] = i;
  for (let i = size - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order;
}

/** A seed for runs that did not ask for one, drawn once per fit. */
export function freshSeed(): string {
  return String(seedrandom(undefined, { entropy: true }).int32());
}
