import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromKerasConfig, getLossRegistry, type Reduction } from '@losskit/core';

// Runs the Keras 3 reference fixtures (scripts/fixtures/keras_losses.py, Keras on JAX, float32)
// against the registry: every case x reduction x sample-weight variant, values and gradients
// w.r.t. y_pred. Shared by core's catalog test and loss-mse's (which owns the MSE).

export interface FixtureResult {
  weights: string;
  reduction: Reduction;
  refused?: string;
  shape?: number[];
  value?: (number | null)[];
  grad?: (number | null)[];
  weight?: number[];
  weightShape?: number[];
}

export interface FixtureCase {
  id: string;
  className: string;
  config: Record<string, unknown>;
  yTrue: number[];
  yTrueShape: number[];
  yPred: number[];
  yPredShape: number[];
  results: FixtureResult[];
  /** Relative tolerance where Keras's float32 arithmetic is itself that noisy (see `note`). */
  rtol?: number;
  note?: string;
}

const FIXTURE = fileURLToPath(new URL('./fixtures/keras-losses.json', import.meta.url));

export function loadKerasFixtures(): { meta: Record<string, unknown>; cases: FixtureCase[] } {
  return JSON.parse(readFileSync(FIXTURE, 'utf8'));
}

/** The default tolerance: 1e-6 relative to the magnitude of the compared array. */
export const DEFAULT_RTOL = 1e-6;

/**
 * |actual - expected| <= rtol * max(|expected|) over the compared array: a scalar is compared
 * relative to itself, an array (per-sample values, a gradient) relative to its largest entry,
 * so that entries near 0 next to large ones are not held to a relative precision float32 lacks.
 */
export function expectClose(actual: ArrayLike<number>, expected: readonly (number | null)[], rtol: number, what: string): void {
  expect(actual.length, `${what}: length`).to.equal(expected.length);
  const finite = expected.filter((e): e is number => e !== null);
  const scale = Math.max(...finite.map(Math.abs), 1e-30);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    // null: Keras's own value is not finite (a NaN gradient); losskit's must not be finite either
    if (e === null) {
      expect(Number.isFinite(a), `${what}[${i}]: Keras gives a non-finite value, losskit ${a}`).to.equal(false);
      continue;
    }
    const bound = rtol * scale;
    if (!(Math.abs(a - e) <= bound)) {
      expect.fail(`${what}[${i}]: losskit ${a}, Keras ${e} (|diff| ${Math.abs(a - e)} > ${bound})`);
    }
  }
}

/** The spec a case resolves: Keras's serialized config form, so that path is covered too. */
export function caseSpec(kase: FixtureCase, reduction: Reduction) {
  return { class_name: kase.className, config: { ...kase.config, reduction, name: 'from-keras' } };
}

export function runFixtureCase(kase: FixtureCase): void {
  const registry = getLossRegistry();
  const rtol = kase.rtol ?? DEFAULT_RTOL;
  const yTrue = tf.tensor(kase.yTrue, kase.yTrueShape);
  const yPred = tf.tensor(kase.yPred, kase.yPredShape);
  try {
    for (const result of kase.results) {
      if (result.refused) continue;
      const what = `${kase.id} ${result.weights} ${result.reduction}`;
      const spec = caseSpec(kase, result.reduction);
      expect(fromKerasConfig(spec).reduction).to.equal(result.reduction);
      const loss = registry.resolveSync(spec);
      const weight = result.weight ? tf.tensor(result.weight, result.weightShape) : undefined;
      const before = tf.memory().numTensors;
      const value = loss.compute(yTrue, yPred, weight);
      expect(value.shape, `${what}: shape`).to.deep.equal(result.shape);
      expectClose(value.dataSync(), result.value!, rtol, `${what}: value`);
      value.dispose();
      const grad = tf.grad((p: tf.Tensor) => tf.sum(loss.compute(yTrue, p, weight)))(yPred);
      expectClose(grad.dataSync(), result.grad!, rtol, `${what}: gradient`);
      grad.dispose();
      expect(tf.memory().numTensors, `${what}: tensors`).to.equal(before);
      weight?.dispose();
    }
  } finally {
    yTrue.dispose();
    yPred.dispose();
  }
}
