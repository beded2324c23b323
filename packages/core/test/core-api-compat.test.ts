import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { CORE_API_VERSION, RegisterLoss, VersionMismatchError, getLossRegistry, registerLossFunction, type LossPlugin } from '@losskit/core';

// A plugin's coreApi range is checked when it registers (discovered plugins: discovery.test.ts).
describe('core API compatibility', () => {
  const registry = getLossRegistry();

  it('refuses a class plugin whose coreApi range excludes the running core, naming plugin, range and version', () => {
    class FuturePlugin implements LossPlugin {
      compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
        return tf.mean(tf.sub(yPred, yTrue), -1);
      }
    }
    const register = RegisterLoss({
      name: 'compat-future',
      description: 'built for core 2',
      coreApi: '>=2.0.0 <3',
      package: { name: 'losskit-loss-compat-future', version: '3.1.4' },
    });
    expect(() => register(FuturePlugin)).to.throw(VersionMismatchError).that.satisfies((error: Error) => {
      for (const part of ["'compat-future'", 'losskit-loss-compat-future@3.1.4', '>=2.0.0 <3', CORE_API_VERSION]) {
        expect(error.message).to.include(part);
      }
      return true;
    });
    expect(registry.has('compat-future')).to.equal(false);
  });

  it('refuses an unparsable range as incompatible', () => {
    expect(() =>
      registerLossFunction({ name: 'compat-garbage', description: 'x', coreApi: 'not a range' }, (t, p) => tf.sub(p, t)),
    ).to.throw(VersionMismatchError, /not a range/);
    expect(registry.has('compat-garbage')).to.equal(false);
  });

  it('accepts a range that includes the running core', () => {
    try {
      registerLossFunction({ name: 'compat-ok', description: 'x', coreApi: `^${CORE_API_VERSION}` }, (t, p) => tf.mean(tf.sub(p, t), -1));
      expect(registry.has('compat-ok')).to.equal(true);
    } finally {
      registry.unregister('compat-ok');
    }
  });
});
