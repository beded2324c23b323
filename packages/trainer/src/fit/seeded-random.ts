import seedrandom from 'seedrandom';

/**
 * Runs one synchronous training step with `Math.random` replaced by a PRNG keyed by
 * (seed, epoch, batch), and puts the original back afterwards, also when the step throws.
 *
 * Why: TF.js draws the seed of every random op that was not given one (Dropout, GaussianNoise,
 * AlphaDropout, ... via tfjs-core's UniformRandom / MPRandGauss) from `Math.random()`. Keying
 * by (seed, epoch, batch) rather than carrying one PRNG along makes batch b of epoch e draw
 * the same numbers whether the run started at epoch 0 or was resumed at epoch e. The step is
 * synchronous (it ends in dataSync), so no other code in the process can observe the swap.
 */
export function withSeededMathRandom<T>(seed: string | number, epoch: number, batch: number, step: () => T): T {
  const original = Math.random;
  // A namespace of its own, so these streams never coincide with the shuffling's (seed/epoch-e).
  Math.random = seedrandom.alea(`${seed}/layers/epoch-${epoch}/batch-${batch}`);
  try {
    return step();
  } finally {
    Math.random = original;
  }
}
