import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { InvalidMetricOptionsError, UnknownMetricError } from '@losskit/core';
import '@losskit/loss-mse';
import { accuracyKindFor, resolveCompileMetric } from '@losskit/trainer';

interface MetricCase {
  name: string;
  options: Record<string, unknown>;
  weighted: boolean;
  batches: { yTrue: number[][]; yPred: number[][]; sampleWeight?: number[] }[];
  results: number[];
}
// Keras 3 values (scripts/fixtures/keras_training_features.py); 'accuracy' in compile picks one of these.
const cases = (JSON.parse(readFileSync(new URL('../../core/test/fixtures/keras-metrics.json', import.meta.url), 'utf8')) as { cases: MetricCase[] }).cases;

describe("trainer: compile metrics ('accuracy' chosen from shapes as Keras 3 does, TF.js names)", () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const kind of ['binary-accuracy', 'categorical-accuracy', 'sparse-categorical-accuracy'] as const) {
    for (const weighted of [false, true]) {
      it(`'accuracy' on ${kind} data${weighted ? ' with sample weights' : ''} equals Keras's ${kind}`, async () => {
        const c = cases.find((x) => x.name === kind && x.weighted === weighted && Object.keys(x.options).length === 0)!;
        const metric = await resolveCompileMetric('accuracy');
        c.batches.forEach((b, i) => {
          tf.tidy(() => {
            const [t, p] = [tf.tensor(b.yTrue), tf.tensor(b.yPred)];
            expect(accuracyKindFor(t, p)).to.equal(kind);
            metric.update(t, p, b.sampleWeight ? tf.tensor(b.sampleWeight) : undefined);
            expect(metric.result().dataSync()[0]).to.be.closeTo(c.results[i]!, 1e-6);
          });
        });
        metric.dispose();
      });
    }
  }

  for (const weighted of [false, true]) {
    it(`the loss 'mse' as a metric (weighted mean of its per-sample values)${weighted ? ' with sample weights' : ''} equals Keras's MeanSquaredError metric`, async () => {
      const c = cases.find((x) => x.name === 'mean-squared-error' && x.weighted === weighted)!;
      const metric = await resolveCompileMetric('mse');
      c.batches.forEach((b, i) => {
        tf.tidy(() => {
          metric.update(tf.tensor(b.yTrue), tf.tensor(b.yPred), b.sampleWeight ? tf.tensor(b.sampleWeight) : undefined);
          expect(metric.result().dataSync()[0]).to.be.closeTo(c.results[i]!, 1e-6);
        });
      });
      expect(metric.direction).to.equal('down');
      metric.dispose();
    });
  }

  it("TF.js strings map to Keras semantics: 'precision' counts predictions above 0.5, not only exact 1s", async () => {
    const precision = await resolveCompileMetric('precision');
    const binary = await resolveCompileMetric('binaryAccuracy');
    tf.tidy(() => {
      const yTrue = tf.tensor2d([[1], [0], [1], [1]]);
      const yPred = tf.tensor2d([[0.9], [0.8], [0.4], [0.7]]);
      precision.update(yTrue, yPred);
      binary.update(yTrue, yPred);
      // TP = 2 (0.9, 0.7), FP = 1 (0.8): 2/3; tf.metrics.precision would give 0 here.
      expect(precision.result().dataSync()[0]).to.be.closeTo(2 / 3, 1e-7);
      expect(tf.metrics.precision(yTrue, yPred).dataSync()[0]).to.equal(0);
      expect(binary.result().dataSync()[0]).to.be.closeTo(0.5, 1e-7);
    });
    precision.dispose();
    binary.dispose();
  });

  it('unknown names and options are refused as metric errors, with a suggestion', async () => {
    let error: unknown;
    try {
      await resolveCompileMetric('acuracy');
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(UnknownMetricError);
    expect((error as Error).message).to.match(/Unknown metric 'acuracy'\. Did you mean 'accuracy'\?/);
    await resolveCompileMetric({ name: 'auc', options: { curv: 'PR' } }).then(
      () => expect.fail('accepted'),
      (e: unknown) => expect((e as Error).message).to.match(/Invalid options for metric 'auc'[\s\S]*'curv': unknown option/),
    );
    await resolveCompileMetric({ name: 'accuracy', options: { threshold: 1 } }).then(
      () => expect.fail('accepted'),
      (e: unknown) => expect(e).to.be.instanceOf(InvalidMetricOptionsError),
    );
  });
});
