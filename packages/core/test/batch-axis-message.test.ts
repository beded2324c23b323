import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { getLossRegistry, ShapeMismatchError } from '@losskit/core';

// An axis option naming the batch axis is refused with the loss's own default in the message:
// dice and tversky default to null (every axis, as Keras's None), the others to -1.
describe('core: an axis option on the batch axis', () => {
  const registry = getLossRegistry();
  before(async () => {
    await tf.setBackend('cpu');
  });

  function refusal(name: string, axis: number | number[]): string {
    const loss = registry.resolveSync({ name, options: { axis } });
    const [yTrue, yPred] = [tf.ones([2, 3, 4]), tf.ones([2, 3, 4])];
    const before = tf.memory().numTensors;
    try {
      expect(() => loss.perSample(yTrue, yPred), name).to.throw(ShapeMismatchError, /axis 0 is the batch axis/);
      expect(tf.memory().numTensors, 'tensors after the refusal').to.equal(before);
      try {
        loss.perSample(yTrue, yPred);
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    } finally {
      tf.dispose([yTrue, yPred]);
      loss.dispose();
    }
  }

  it("dice and tversky name their default, null, not the class axis -1", () => {
    for (const [name, axis] of [['dice', 0], ['dice', [0, 1]], ['tversky', [1, 0]]] as const) {
      const message = refusal(name, axis as number | number[]);
      expect(message, name).to.contain("the default, null like Keras's None").and.contain('[1, 2, 3]');
      expect(message, name).not.to.contain('-1, is the class axis');
    }
  });

  it('a class-axis loss still names -1', () => {
    expect(refusal('categorical-crossentropy', 0)).to.contain('the default, -1, is the class axis');
  });
});
