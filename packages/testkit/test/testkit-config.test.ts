import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import type { LossPlugin } from '@losskit/core';
import { checkLossPlugin, describeLossPlugin, selectChecks, TestkitUsageError, type LossPluginTestConfig } from '@losskit/testkit';
import { register, squaredError, useFixtureRegistry } from './testkit-fixtures.js';

// A config the kit cannot follow must stop the run: a kit that ignores a misspelt key or check
// id reports a plugin as passing checks it never ran.
describe('@losskit/testkit: config it cannot follow is refused', () => {
  useFixtureRegistry();

  class SquaredError implements LossPlugin {
    compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
      return squaredError(yTrue, yPred);
    }
  }
  // -mean(t log p + (1 - t) log(1 - p)): NaN for inputs outside (0, 1), so it passes only if
  // the kit draws its random inputs from the range it was given.
  class BinaryCrossentropy implements LossPlugin {
    compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
      return tf.tidy(() =>
        tf.neg(tf.mean(tf.add(tf.mul(yTrue, tf.log(yPred)), tf.mul(tf.sub(1, yTrue), tf.log(tf.sub(1, yPred)))), -1)),
      );
    }
  }
  let squared: string;
  let bce: string;
  before(() => {
    squared = register('config-squared', SquaredError);
    bce = register('config-bce', BinaryCrossentropy);
  });

  async function refusal(run: () => Promise<unknown>): Promise<string> {
    const before = tf.memory().numTensors;
    const error = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, 'expected the call to be refused').to.be.instanceOf(TestkitUsageError);
    expect(tf.memory().numTensors, 'tensors after the refusal').to.equal(before);
    return (error as Error).message;
  }

  it("refuses a misspelt id in `only` instead of running no check and passing", async () => {
    const message = await refusal(() => checkLossPlugin({ name: squared }, { only: ['registraton' as 'registration'] }));
    expect(message).to.contain('"registraton"').and.contain("did you mean 'registration'?").and.contain('gradient');
  });

  it('refuses a misspelt id in `skip`, which would otherwise run the check it meant to skip', async () => {
    const message = await refusal(() => checkLossPlugin({ name: squared, skip: ['gradiant' as 'gradient'] }));
    expect(message).to.contain('config.skip').and.contain('"gradiant"').and.contain("did you mean 'gradient'?");
  });

  it('describeLossPlugin refuses the same config when called, before registering any test', () => {
    expect(() => describeLossPlugin({ name: squared }, { only: ['registraton' as 'registration'] })).to.throw(
      TestkitUsageError,
      /did you mean 'registration'\?/,
    );
    expect(() => describeLossPlugin({ name: squared, skip: ['gradiant' as 'gradient'] })).to.throw(TestkitUsageError, /config\.skip/);
  });

  it('refuses a selection of no check at all', async () => {
    const message = await refusal(() => checkLossPlugin({ name: squared, skip: ['registration'] }, { only: ['registration'] }));
    expect(message).to.match(/no check left to run/);
    expect(() => selectChecks({ name: squared }, [])).to.throw(TestkitUsageError, /no check left to run/);
  });

  it('refuses unknown config keys, nested ones too, and unknown option keys, with the closest known key', async () => {
    const typo = { name: bce, valueRang: [0, 1] } as unknown as LossPluginTestConfig;
    expect(await refusal(() => checkLossPlugin(typo))).to.contain('"valueRang"').and.contain("did you mean 'valueRange'?");
    const nested = { name: squared, gradient: { atoll: 1e-3 } } as unknown as LossPluginTestConfig;
    expect(await refusal(() => checkLossPlugin(nested))).to.contain('config.gradient').and.contain("did you mean 'atol'?");
    const option = { throwOnFailur: false } as unknown as { throwOnFailure: boolean };
    expect(await refusal(() => checkLossPlugin({ name: squared }, option))).to.contain("did you mean 'throwOnFailure'?");
  });

  it('takes valueRange as [low, high] for both inputs, as the README shows for probabilities', async () => {
    const report = await checkLossPlugin(
      { name: bce, valueRange: [0.05, 0.95], edgeCases: [{ label: 'middle', yTrue: 0.5, yPred: 0.25 }] },
      { throwOnFailure: false },
    );
    expect(report.failed.map((r) => `${r.id}: ${r.message}`)).to.deep.equal([]);
    expect(report.results.length).to.be.above(5);
  });

  it('a loss that is NaN on the default random inputs fails reductions saying so, not "NaN, expected NaN"', async () => {
    const report = await checkLossPlugin({ name: bce }, { only: ['reductions'], throwOnFailure: false });
    expect(report.failed.map((r) => r.id)).to.deep.equal(['reductions']);
    expect(report.failed[0]!.message).to.contain('y_pred from [-1,1]').and.contain('set valueRange or inputRange').and.not.contain('expected NaN');
  });

  it('refuses a valueRange in neither form, or an empty range, showing the forms it takes', async () => {
    const notARange = { name: bce, valueRange: 0.5 } as unknown as LossPluginTestConfig;
    expect(await refusal(() => checkLossPlugin(notARange))).to.contain('[low, high] (both inputs) or { yTrue: [low, high], yPred: [low, high] }');
    expect(await refusal(() => checkLossPlugin({ name: bce, valueRange: { yPred: [1, 0] } }))).to.contain(
      'valueRange.yPred must be [low, high] with low < high',
    );
  });
});
