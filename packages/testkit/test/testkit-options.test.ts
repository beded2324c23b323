import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { z, type LossPlugin } from '@losskit/core';
import { failingChecks, register, squaredError, useFixtureRegistry } from './testkit-fixtures.js';

// Plugins whose options schema or defaults are broken fail the options (or serialization) check.
describe('@losskit/testkit', () => {
  useFixtureRegistry();

  it('catches a schema that lets invalid options through', async () => {
    class Scaled implements LossPlugin {
      constructor(private readonly options: { scale: number }) {}
      compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
        return tf.mul(squaredError(yTrue, yPred), this.options.scale);
      }
    }
    // 'scale' must be positive, but the schema forgot to say so
    const name = register('loose-schema', Scaled, { options: z.object({ scale: z.number().default(1) }) }, true);
    const { ids, text } = await failingChecks({ name, validOptions: [{ scale: 2 }], invalidOptions: [{ scale: -1 }] });
    expect(ids, text).to.deep.equal(['options']);
    expect(text).to.match(/Invalid options \{"scale":-1\} were accepted/);
  });

  it('catches a schema that accepts any key, so misspelt options fall back silently', async () => {
    class AnyOptions implements LossPlugin {
      compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
        return squaredError(yTrue, yPred);
      }
    }
    const name = register('any-options', AnyOptions, { options: z.record(z.string(), z.number()) });
    const { ids, text } = await failingChecks({ name });
    expect(ids, text).to.deep.equal(['options']);
    expect(text).to.match(/__losskitTestkitUnknownOption.* were accepted/);
  });

  it('catches a default that breaks its own constraint', async () => {
    class Scaled implements LossPlugin {
      constructor(private readonly options: { scale: number }) {}
      compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
        return tf.mul(squaredError(yTrue, yPred), this.options.scale);
      }
    }
    const name = register('bad-default', Scaled, { options: z.object({ scale: z.number().positive().default(-1) }) }, true);
    const { ids, text } = await failingChecks({ name });
    expect(ids, text).to.include('options');
    expect(text).to.match(/defaults \{"scale":-1\} .* are refused by its own schema/);
  });

  it('catches a default that does not survive JSON (a saved spec loads as something else)', async () => {
    class Clipped implements LossPlugin {
      constructor(private readonly options: { clip: number }) {}
      compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
        return tf.minimum(squaredError(yTrue, yPred), this.options.clip);
      }
    }
    const name = register('infinite-default', Clipped, { options: z.object({ clip: z.number().default(Infinity) }) }, true);
    const { ids, text } = await failingChecks({ name, skip: ['options'] });
    expect(ids, text).to.deep.equal(['serialization']);
    expect(text).to.match(/changes through JSON/);
  });
});
