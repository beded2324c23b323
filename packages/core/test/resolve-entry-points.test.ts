import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { getLossRegistry, LossNotPreparedError, LossSpecError, registerLossFunction, RegisterLoss, resolveLoss, resolveLossSync } from '@losskit/core';

describe('core: resolve (async, safe) and resolveSync', () => {
  const registry = getLossRegistry();
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('resolve runs the plugin prepare before handing the loss out; resolveSync refuses it', async () => {
    const name = `needs-prepare-${process.pid}`;
    let prepared = 0;
    @RegisterLoss({ name, description: 'async setup', coreApi: '^1.0.0' })
    class NeedsPrepare {
      private ready = false;
      async prepare() {
        prepared++;
        this.ready = true;
      }
      compute(t: tf.Tensor, p: tf.Tensor) {
        if (!this.ready) throw new Error('not prepared');
        return tf.mean(tf.abs(tf.sub(t, p)), -1);
      }
    }
    void NeedsPrepare;
    try {
      expect(() => registry.resolveSync(name)).to.throw(LossNotPreparedError, /await registry\.resolve\(spec\)/);
      expect(() => resolveLossSync(name)).to.throw(LossNotPreparedError);
      const loss = await resolveLoss(name);
      expect(prepared).to.equal(1);
      expect(loss.needsPrepare).to.equal(false);
      expect(loss.reduced(tf.tensor2d([[1, 3]]), tf.tensor2d([[0, 0]])).dataSync()[0]).to.equal(2);
    } finally {
      registry.unregister(name);
    }
  });

  it('a single loss is one term; a sum lists its terms with their weights', () => {
    expect(registry.resolveSync('mae').terms).to.deep.equal([{ name: 'mean-absolute-error', weight: 1 }]);
    const sum = registry.resolveSync({ sum: ['mae', { name: 'hinge', weight: 0.5 }] });
    expect(sum.terms).to.deep.equal([{ name: 'mean-absolute-error', weight: 1 }, { name: 'hinge', weight: 0.5 }]);
    const yTrue = tf.tensor2d([[0, 1]]);
    const yPred = tf.tensor2d([[1, 1]]);
    const single = registry.resolveSync('mae').reducedWithTerms(yTrue, yPred);
    expect(single.terms).to.have.length(1);
    expect(single.terms[0]).to.equal(single.value);
  });

  it('keeps tensors flat when a later term of a sum fails to resolve', () => {
    const before = tf.memory().numTensors;
    expect(() => registry.resolveSync({ sum: ['mae', 'no-such-loss-anywhere'] })).to.throw();
    expect(tf.memory().numTensors).to.equal(before);
  });
});

describe('core: loss specs are strict', () => {
  const registry = getLossRegistry();

  it('an unknown key is an error with a did-you-mean', () => {
    expect(() => registry.resolveSync({ name: 'mae', reducton: 'sum' } as never)).to.throw(LossSpecError, /unknown key "reducton" \(did you mean 'reduction'\?\)/);
    expect(() => registry.resolveSync({ sum: ['mae'], reduce: 'sum' } as never)).to.throw(LossSpecError, /unknown key "reduce"/);
    expect(() => registry.resolveSync({ sum: [{ name: 'mae', wieght: 2 }] } as never)).to.throw(LossSpecError, /did you mean 'weight'/);
  });

  it("'weight' on a single spec says to use lossWeights", () => {
    expect(() => registry.resolveSync({ name: 'mae', weight: 2 })).to.throw(LossSpecError, /only for the terms of a sum.*lossWeights/);
  });

  it('negative, non-finite and string weights are refused (strings say so)', () => {
    expect(() => registry.resolveSync({ sum: [{ name: 'mae', weight: -1 }] })).to.throw(LossSpecError, />= 0/);
    expect(() => registry.resolveSync({ sum: [{ name: 'mae', weight: Infinity }] })).to.throw(LossSpecError, /finite/);
    expect(() => registry.resolveSync({ sum: [{ name: 'mae', weight: '2' as never }] })).to.throw(LossSpecError, /a string; write the number without quotes/);
  });

  it('a name that is a prototype key is an ordinary unknown name', () => {
    for (const name of ['constructor', '__proto__', 'toString']) {
      expect(() => registry.resolveSync(name), name).to.throw(/Unknown loss/);
    }
  });

  it('the saved spec of a resolved loss resolves again (it carries a package key)', () => {
    registerLossFunction({ name: `spec-roundtrip-${process.pid}`, description: 'x' }, (t, p) => tf.mean(tf.sub(t, p), -1));
    const saved = { ...registry.resolveSync(`spec-roundtrip-${process.pid}`).spec, package: { name: 'acme', version: '1.0.0' } };
    expect(registry.resolveSync(saved).name).to.equal(`spec-roundtrip-${process.pid}`);
    registry.unregister(`spec-roundtrip-${process.pid}`);
  });
});
