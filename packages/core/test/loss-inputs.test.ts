import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { getLossRegistry, LossInputError, registerLossFunction } from '@losskit/core';

// What no loss can take is refused by core with the loss and argument named, before a TF.js op
// fails on it; integer and bool tensors reach plugins as float32, as Keras converts them.
describe('core: loss inputs', () => {
  const registry = getLossRegistry();
  before(async () => {
    await tf.setBackend('cpu');
  });

  const float = () => tf.tensor2d([[0, 1, 0], [1, 0, 0]]);
  const refused: { what: string; call: () => unknown; says: RegExp }[] = [
    { what: 'a null y_pred', call: () => registry.resolveSync('huber').reduced(float(), null as never), says: /Loss 'huber': y_pred must be a tf\.Tensor, got null/ },
    { what: 'a plain-array y_pred', call: () => registry.resolveSync('huber').reduced(float(), [[0, 1, 0]] as never), says: /y_pred must be a tf\.Tensor, got an array.*tf\.tensor\(values\)/ },
    { what: 'a string y_true', call: () => registry.resolveSync('mean-absolute-error').reduced(tf.tensor([['a', 'b', 'c']]), float()), says: /Loss 'mean-absolute-error': y_true is a string tensor; losses take numbers/ },
    { what: 'string sample weights', call: () => registry.resolveSync('huber').reduced(float(), float(), tf.tensor(['x', 'y'])), says: /Loss 'huber': sampleWeight is a string tensor.*one number per sample/ },
    {
      what: 'string sample weights of a sum (its terms are reduced with them too)',
      call: () => registry.resolveSync({ sum: ['huber', 'mean-absolute-error'] }).reducedWithTerms(float(), float(), tf.tensor(['x', 'y'])),
      says: /sampleWeight is a string tensor/,
    },
  ];
  for (const { what, call, says } of refused) {
    it(`${what}: a LossInputError naming the loss and argument, no tensors left`, () => {
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        expect(call).to.throw(LossInputError, says);
      });
      expect(tf.memory().numTensors).to.equal(before);
    });
  }

  it('an int32 or bool y_pred reaches the plugin as float32 with the same values; y_true keeps its dtype', () => {
    const name = `dtype-probe-${process.pid}`;
    const seen: string[] = [];
    registerLossFunction({ name, description: 'records the dtypes it is given' }, (yTrue, yPred) => {
      seen.push(`${yTrue.dtype}/${yPred.dtype}`);
      return tf.mean(tf.square(tf.sub(tf.cast(yTrue, 'float32'), yPred)), -1);
    });
    const loss = registry.resolveSync(name);
    const labels = tf.tensor2d([[0, 1, 0], [1, 0, 0]], undefined, 'int32');
    const mask = tf.tensor2d([[false, true, true], [true, false, false]], undefined, 'bool');
    const value = loss.reduced(labels, mask);
    // (0 + 0 + 1) / 3 and 0, averaged over the batch
    expect(value.dataSync()[0]).to.be.closeTo(1 / 6, 1e-7);
    const ints = tf.tensor2d([[0, 2, 0], [1, 0, 0]], undefined, 'int32');
    const fromInts = loss.reduced(labels, ints);
    // (0 + 1 + 0) / 3 and 0
    expect(fromInts.dataSync()[0]).to.be.closeTo(1 / 6, 1e-7);
    expect(seen).to.deep.equal(['int32/float32', 'int32/float32']);
    tf.dispose([labels, mask, value, ints, fromInts]);
    registry.unregister(name);
  });

  it('sparse-categorical-crossentropy with ignoreClass takes int32 labels (its mask reads y_true after compute)', () => {
    const labels = tf.tensor1d([0, 2, 1, 2], 'int32');
    const probabilities = tf.tensor2d([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3], [0.2, 0.2, 0.6]]);
    const before = tf.memory().numTensors;
    const loss = registry.resolveSync({ name: 'sparse-categorical-crossentropy', options: { ignoreClass: 2 } });
    const value = loss.reduced(labels, probabilities);
    // class 2 is ignored: the mean of -log 0.7 and -log 0.4 over the two valid samples (Keras divides by the mask's sum)
    expect(value.dataSync()[0]).to.be.closeTo((-Math.log(0.7) - Math.log(0.4)) / 2, 1e-6);
    value.dispose();
    loss.dispose();
    expect(tf.memory().numTensors).to.equal(before);
    tf.dispose([labels, probabilities]);
  });

  it("Keras's crossentropies take int32 predictions as their float values (it casts y_pred to floatx)", () => {
    const yTrue = float();
    const asFloat = registry.resolveSync('categorical-crossentropy').reduced(yTrue, tf.tensor2d([[0, 1, 0], [1, 0, 0]]));
    const asInt = registry.resolveSync('categorical-crossentropy').reduced(yTrue, tf.tensor2d([[0, 1, 0], [1, 0, 0]], undefined, 'int32'));
    expect(asInt.dataSync()[0]).to.equal(asFloat.dataSync()[0]);
    tf.dispose([yTrue, asFloat, asInt]);
  });
});
