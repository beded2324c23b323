import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { getLossRegistry, InvalidOptionsError, registerLossClass, z } from '@losskit/core';

// An unknown key inside a nested option object is named with its path and listed against that
// object's own keys (with the nearest as a suggestion), and the value it quotes is that key's.
describe('core: unknown keys in nested options', () => {
  const registry = getLossRegistry();
  const name = `nested-options-${process.pid}`;
  before(() => {
    registerLossClass(
      class WindowedL1 {
        compute(yTrue: tf.Tensor, yPred: tf.Tensor) {
          return tf.sum(tf.abs(tf.sub(yTrue, yPred)), -1);
        }
      },
      {
        name,
        description: 'nested options',
        coreApi: '^1.0.0',
        options: z.object({
          window: z.object({ size: z.number().default(3), sigma: z.number().default(1) }).strict().default({ size: 3, sigma: 1 }),
          scales: z.array(z.object({ weight: z.number(), factor: z.number().default(2) }).strict()).default([]),
          alpha: z.number().default(0.5),
        }),
      },
    );
  });
  after(() => registry.unregister(name));

  const problemOf = (options: Record<string, unknown>) => {
    try {
      registry.resolveSync({ name, options });
    } catch (error) {
      expect(error).to.be.instanceOf(InvalidOptionsError);
      return (error as InvalidOptionsError).message;
    }
    throw new Error('expected the options to be refused');
  };

  it('a nested object: its path, its keys, the nearest of them, the value given', () => {
    const message = problemOf({ window: { sise: 5 } });
    expect(message).to.contain("option 'window.sise'").and.contain('its keys are size, sigma').and.contain("did you mean 'size'?").and.contain('(got 5)');
    expect(message).not.to.contain('alpha');
  });

  it('an object inside an array: the index in the path, the element schema keys', () => {
    const message = problemOf({ scales: [{ weight: 1 }, { weight: 1, factr: 3 }] });
    expect(message).to.contain("option 'scales.1.factr'").and.contain('its keys are weight, factor').and.contain("did you mean 'factor'?").and.contain('(got 3)');
  });

  it('the top level is unchanged: the known options and the nearest', () => {
    expect(problemOf({ alpah: 1 })).to.contain("option 'alpah': unknown option; known options: window, scales, alpha; did you mean 'alpha'? (got 1)");
  });
});
