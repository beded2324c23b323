import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { getLossRegistry, reduceLoss, ShapeMismatchError, LossSpecError, registerLossFunction } from '@losskit/core';

const values = () => tf.tensor1d([1, 2, 3, 6]);
const weights = () => tf.tensor1d([0.5, 0, 2, 1]);

function scalarOf(t: tf.Tensor): number {
  const value = t.dataSync()[0]!;
  t.dispose();
  return value;
}

describe('core: reductions (Keras 3 semantics, hand-computed)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('sum_over_batch_size divides the weighted sum by the number of values', () => {
    expect(scalarOf(reduceLoss(values(), 'sum_over_batch_size'))).to.be.closeTo((1 + 2 + 3 + 6) / 4, 1e-6);
    // weighted: 0.5 + 0 + 6 + 6 = 12.5, divided by 4 values, not by the weights
    expect(scalarOf(reduceLoss(values(), 'sum_over_batch_size', weights()))).to.be.closeTo(12.5 / 4, 1e-6);
  });

  it('sum adds the weighted values', () => {
    expect(scalarOf(reduceLoss(values(), 'sum'))).to.be.closeTo(12, 1e-6);
    expect(scalarOf(reduceLoss(values(), 'sum', weights()))).to.be.closeTo(12.5, 1e-6);
  });

  it('mean_with_sample_weight divides by the sum of the weights', () => {
    expect(scalarOf(reduceLoss(values(), 'mean_with_sample_weight', weights()))).to.be.closeTo(12.5 / 3.5, 1e-6);
    // without weights it is a plain mean
    expect(scalarOf(reduceLoss(values(), 'mean_with_sample_weight'))).to.be.closeTo(3, 1e-6);
  });

  it('none returns the weighted per-sample values', () => {
    const out = reduceLoss(values(), 'none', weights());
    expect(Array.from(out.dataSync())).to.deep.equal([0.5, 0, 6, 6]);
  });

  it('[batch, 1] weights weigh each sample of per-timestep losses; mean_with_sample_weight divides by the weights as given (Keras 3)', () => {
    const perStep = tf.tensor2d([[1, 3, 2], [2, 4, 0]]);
    const w = tf.tensor2d([[1], [3]]);
    // weighted: 1 + 3 + 2 + 6 + 12 + 0 = 24 over 6 values
    expect(scalarOf(reduceLoss(perStep, 'sum_over_batch_size', w))).to.be.closeTo(24 / 6, 1e-6);
    // Keras 3 divides by sum(sample_weight) = 4, not by the broadcast weights (12): Keras 2 did that
    expect(scalarOf(reduceLoss(perStep, 'mean_with_sample_weight', w))).to.be.closeTo(24 / 4, 1e-6);
    expect(scalarOf(reduceLoss(perStep, 'sum', w))).to.be.closeTo(24, 1e-6);
  });

  it('[batch] weights on [batch, time] values: NumPy broadcasting where it applies (Keras 3), per sample otherwise (extension)', () => {
    // batch 2, time 3: Keras refuses; losskit reads the weights as [batch, 1]
    const perStep = tf.tensor2d([[1, 3, 2], [2, 4, 0]]);
    const w = tf.tensor1d([1, 3]);
    expect(scalarOf(reduceLoss(perStep, 'mean_with_sample_weight', w))).to.be.closeTo(24 / 4, 1e-6);
    expect(Array.from(reduceLoss(perStep, 'none', w).dataSync())).to.deep.equal([1, 3, 2, 6, 12, 0]);
    // batch = time = 2: Keras multiplies from the last axis, weighting the time steps
    const square = tf.tensor2d([[1, 3], [2, 4]]);
    expect(Array.from(reduceLoss(square, 'none', w).dataSync())).to.deep.equal([1, 9, 2, 12]);
  });

  it('under none, [batch, 1] weights on [batch] values give [batch, 1] (Keras 3 expands the values)', () => {
    const out = reduceLoss(values(), 'none', tf.tensor2d([[0.5], [0], [2], [1]]));
    expect(out.shape).to.deep.equal([4, 1]);
    expect(Array.from(out.dataSync())).to.deep.equal([0.5, 0, 6, 6]);
  });

  it('all-zero weights reduce to 0 rather than NaN', () => {
    expect(scalarOf(reduceLoss(values(), 'mean_with_sample_weight', tf.zeros([4])))).to.equal(0);
  });

  it('sample weights of the wrong shape are refused with the shapes and the fix', () => {
    expect(() => reduceLoss(values(), 'sum', tf.ones([3]), 'mse')).to.throw(
      ShapeMismatchError,
      /Loss 'mse': sample weights of shape \[3\] do not fit per-sample losses of shape \[4\].*shape \[4\]/,
    );
  });

  it('resolved losses apply the spec reduction and sample weights to the plugin values', () => {
    const registry = getLossRegistry();
    const yTrue = tf.tensor2d([[1, 1], [0, 0], [2, 2]]);
    const yPred = tf.tensor2d([[0, 0], [0, 2], [2, 4]]);
    // mean-absolute-error per sample: [1, 1, 1]; mse per sample: [1, 2, 2]
    const w = tf.tensor1d([1, 2, 3]);
    expect(scalarOf(registry.resolveSync({ name: 'mae', reduction: 'sum' }).reduced(yTrue, yPred, w))).to.be.closeTo(6, 1e-6);
    expect(scalarOf(registry.resolveSync({ name: 'mean-absolute-error', reduction: 'mean_with_sample_weight' }).reduced(yTrue, yPred, w))).to.be.closeTo(1, 1e-6);
    const none = registry.resolveSync({ name: 'meanAbsoluteError', reduction: 'none' }).reduced(yTrue, yPred, w);
    expect(Array.from(none.dataSync())).to.deep.equal([1, 2, 3]);
  });

  it('every reduction is differentiable, with the gradient of its formula', () => {
    const v = tf.tensor1d([1, 2, 3, 6]);
    const w = weights(); // [0.5, 0, 2, 1], sum 3.5
    const expected: Record<string, number[]> = {
      sum: [0.5, 0, 2, 1],
      sum_over_batch_size: [0.5 / 4, 0, 2 / 4, 1 / 4],
      mean_with_sample_weight: [0.5 / 3.5, 0, 2 / 3.5, 1 / 3.5],
    };
    for (const [reduction, gradient] of Object.entries(expected)) {
      const g = tf.grad((x: tf.Tensor) => reduceLoss(x, reduction as 'sum', w) as tf.Scalar)(v);
      const actual = Array.from(g.dataSync());
      actual.forEach((value, i) => expect(value, reduction).to.be.closeTo(gradient[i]!, 1e-6));
    }
  });

  it('an unknown reduction is refused with the valid ones', () => {
    expect(() => getLossRegistry().resolveSync({ name: 'mae', reduction: 'avg' as never })).to.throw(
      LossSpecError,
      /unknown reduction "avg"; use one of sum_over_batch_size, sum, mean_with_sample_weight, none/,
    );
  });
});

describe('core: weighted-sum specs', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('adds the terms per sample with their weights, then reduces once', () => {
    const loss = getLossRegistry().resolveSync({ sum: ['mean-absolute-error', { name: 'hinge', weight: 0.25 }], reduction: 'sum' });
    expect(loss.name).to.equal('mean-absolute-error+hinge');
    const yTrue = tf.tensor2d([[0, 0], [1, 1]]);
    const yPred = tf.tensor2d([[2, 0], [1, 4]]);
    // mae: [1, 1.5]; hinge = mean(max(0, 1 - t*p)) with the {0, 1} labels turned into {-1, 1}
    // (Keras 3): [(3 + 1) / 2, 0] = [2, 0]; per sample: [1 + 0.25 * 2, 1.5 + 0]
    expect(Array.from(loss.perSample(yTrue, yPred).dataSync())).to.deep.equal([1.5, 1.5]);
    expect(scalarOf(loss.compute(yTrue, yPred))).to.be.closeTo(3, 1e-6);
  });

  it("reducedWithTerms reduces each term like the sum, so the weighted terms add up to it, for every reduction", () => {
    const yTrue = tf.tensor2d([[0, 0], [1, 1], [2, 0]]);
    const yPred = tf.tensor2d([[2, 0], [1, 4], [0, 0]]);
    const w = tf.tensor1d([1, 0.5, 2]);
    for (const reduction of ['sum_over_batch_size', 'sum', 'mean_with_sample_weight'] as const) {
      const loss = getLossRegistry().resolveSync({ sum: ['mean-absolute-error', { name: 'hinge', weight: 0.25 }], reduction });
      expect(loss.terms).to.deep.equal([{ name: 'mean-absolute-error', weight: 1 }, { name: 'hinge', weight: 0.25 }]);
      const { value, terms } = loss.reducedWithTerms(yTrue, yPred, w);
      const recombined = terms[0]!.dataSync()[0]! + 0.25 * terms[1]!.dataSync()[0]!;
      expect(recombined, reduction).to.be.closeTo(value.dataSync()[0]!, 1e-6);
      expect(value.dataSync()[0]!, reduction).to.be.closeTo(scalarOf(loss.reduced(yTrue, yPred, w)), 1e-6);
    }
  });

  it('its saved spec is plain JSON that resolves to the same loss', () => {
    const registry = getLossRegistry();
    const loss = registry.resolveSync({ sum: [{ name: 'l1', weight: 2 }, 'logcosh'] });
    const again = registry.resolveSync(JSON.parse(JSON.stringify(loss.spec)));
    const yTrue = tf.randomNormal([4, 3], 0, 1, 'float32', 1);
    const yPred = tf.randomNormal([4, 3], 0, 1, 'float32', 2);
    expect(scalarOf(again.compute(yTrue, yPred))).to.equal(scalarOf(loss.compute(yTrue, yPred)));
  });

  it('refuses an empty sum and a reduction set on a term', () => {
    expect(() => getLossRegistry().resolveSync({ sum: [] })).to.throw(LossSpecError, /at least one term/);
    expect(() => getLossRegistry().resolveSync({ sum: [{ name: 'mae', reduction: 'sum' }] })).to.throw(LossSpecError, /set it once on the sum/);
  });

  it('keeps tensors flat across calls and when a term throws', () => {
    const name = `throws-${process.pid}`;
    registerLossFunction({ name, description: 'throws after allocating' }, (t, p) => {
      tf.add(t, p); // an intermediate the tidy must free
      throw new Error('boom');
    });
    const registry = getLossRegistry();
    const good = registry.resolveSync({ sum: ['mae', 'hinge'] });
    const bad = registry.resolveSync({ sum: ['mae', name] });
    const yTrue = tf.ones([8, 4]);
    const yPred = tf.zeros([8, 4]);
    good.compute(yTrue, yPred).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      good.compute(yTrue, yPred).dispose();
      expect(() => bad.compute(yTrue, yPred)).to.throw('boom');
    }
    expect(tf.memory().numTensors).to.equal(before);
    registry.unregister(name);
  });
});
