import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { getMetricRegistry, type ResolvedMetric } from '@losskit/core';

interface MetricCase {
  name: string;
  options: Record<string, unknown>;
  weighted: boolean;
  batches: { yTrue: number[] | number[][]; yPred: number[] | number[][]; sampleWeight?: number[] }[];
  results: number[];
  afterReset: number;
}
// Made by scripts/fixtures/keras_training_features.py with Keras 3 on JAX.
const fixture = JSON.parse(readFileSync(new URL('./fixtures/keras-metrics.json', import.meta.url), 'utf8')) as { cases: MetricCase[] };

function read(metric: ResolvedMetric): number {
  const value = metric.result();
  try {
    return value.dataSync()[0]!;
  } finally {
    value.dispose();
  }
}

function feed(metric: ResolvedMetric, batch: MetricCase['batches'][number]): void {
  tf.tidy(() => metric.update(tf.tensor(batch.yTrue), tf.tensor(batch.yPred), batch.sampleWeight ? tf.tensor(batch.sampleWeight) : undefined));
}

describe('core: stateful metrics equal Keras 3 (fixture, 1e-6)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  // 'mse' lives in @losskit/loss-mse, which core does not depend on: its cases (a loss as a
  // metric) run in packages/trainer/test/compile-metric.test.ts, where the plugin is installed.
  for (const c of fixture.cases.filter((x) => x.name !== 'mean-squared-error')) {
    it(`${c.name} ${JSON.stringify(c.options)}${c.weighted ? ' with sample weights' : ''}: accumulated over ${c.batches.length} batch(es)`, () => {
      const before = tf.memory().numTensors;
      const metric = getMetricRegistry().resolve({ name: c.name, options: c.options });
      try {
        c.batches.forEach((batch, i) => {
          feed(metric, batch);
          const got = read(metric);
          expect(got, `after batch ${i}`).to.be.closeTo(c.results[i]!, 1e-6 * Math.max(1, Math.abs(c.results[i]!)));
        });
        metric.reset();
        expect(read(metric)).to.be.closeTo(c.afterReset, 1e-7);
      } finally {
        metric.dispose();
      }
      expect(tf.memory().numTensors).to.equal(before);
    });
  }

  it('a state taken mid-way and put into a new metric continues exactly (checkpoints)', () => {
    const c = fixture.cases.find((x) => x.name === 'auc' && x.weighted)!;
    const first = getMetricRegistry().resolve({ name: c.name, options: c.options });
    const second = getMetricRegistry().resolve({ name: c.name, options: c.options });
    try {
      feed(first, c.batches[0]!);
      second.setState(JSON.parse(JSON.stringify(first.getState())));
      feed(second, c.batches[1]!);
      expect(read(second)).to.be.closeTo(c.results[1]!, 1e-6);
      expect(() => second.setState({ tp: [1] })).to.throw(/saved state lacks/);
    } finally {
      first.dispose();
      second.dispose();
    }
  });
});
