import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { getMetricRegistry, MetricInputError } from '@losskit/core';

// A metric given the wrong shapes says which metric and which shapes, and leaves no tensors;
// one-hot metrics refuse targets whose argmax would still give a (wrong) answer.
describe('metrics: updates with shapes they cannot take', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  const yTrue = () => tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2).toFloat();
  const yPred = () => tf.softmax(tf.tensor2d([[1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [1, 1, 2, 2, 3], [3, 2, 2, 1, 1]]));

  for (const name of ['categorical-accuracy', 'top-k-categorical-accuracy', 'accuracy', 'auc']) {
    it(`${name}: y_true [4,2] with y_pred [4,5] is a MetricInputError naming the metric and both shapes`, () => {
      const t = yTrue();
      const p = yPred();
      const metric = getMetricRegistry().resolve(name);
      const before = tf.memory().numTensors;
      let error: unknown;
      try {
        metric.update(t, p);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(MetricInputError);
      expect((error as Error).message).to.contain(`Metric '${name}'`).and.contain('[4,2]').and.contain('[4,5]');
      expect(tf.memory().numTensors).to.equal(before);
      metric.dispose();
      tf.dispose([t, p]);
    });
  }

  it('categorical-accuracy still takes matching one-hot targets', () => {
    const t = tf.oneHot(tf.tensor1d([4, 0, 1, 0], 'int32'), 5).toFloat();
    const p = yPred();
    const metric = getMetricRegistry().resolve('categorical-accuracy');
    metric.update(t, p);
    const result = metric.result();
    // argmax of the rows: 4, 0, 4, 0 against labels 4, 0, 1, 0: three of four.
    expect(result.dataSync()[0]).to.be.closeTo(0.75, 1e-7);
    tf.dispose([t, p, result]);
    metric.dispose();
  });
});
