import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { ScheduleError, TrainingOptimizer } from '@losskit/trainer';

// A TrainingOptimizer refused at construction hands the caller nothing to dispose, so the
// optimizer it built from a name must be freed there; an instance the caller passed stays theirs.
describe('TrainingOptimizer: a refused construction', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const refused = [
    { what: 'an unknown schedule name', options: { optimizer: 'adam', learningRate: { name: 'cosine-decy', options: {} } }, says: 'cosine-decy' },
    { what: 'a learning rate that is a string', options: { optimizer: 'adam', learningRate: 'fast' }, says: 'learningRate must be' },
    { what: 'an unknown schedule option', options: { optimizer: 'sgd', learningRate: { name: 'cosine-decay', options: { initialLearningRate: 0.1, decaySteps: 10, foo: 1 } } }, says: 'foo' },
  ];
  for (const { what, options, says } of refused) {
    it(`${what}: throws and leaves no tensors`, () => {
      const before = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) expect(() => new TrainingOptimizer(options as never)).to.throw(ScheduleError, says);
      expect(tf.memory().numTensors).to.equal(before);
    });
  }

  it('an optimizer instance the caller passed is not disposed when the construction is refused', () => {
    const adam = tf.train.adam(0.01);
    expect(() => new TrainingOptimizer({ optimizer: adam, learningRate: 'fast' } as never)).to.throw(ScheduleError);
    // Still usable: one update with it works.
    const v = tf.variable(tf.scalar(1));
    adam.minimize(() => tf.square(v) as tf.Scalar, false, [v]);
    expect(v.dataSync()[0]).to.be.below(1);
    v.dispose();
    adam.dispose();
  });
});
