import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { container as globalContainer } from 'tsyringe';
import { getLossRegistry, inject, LOSS_OPTIONS, RegisterLoss, z, type LossPlugin } from '@losskit/core';

// A dependency a plugin asks for by an explicit token.
interface Scaler {
  readonly factor: number;
}
const SCALER = Symbol.for('losskit.test.scaler');
let defaultBuilds = 0;

const NAME = `scaled-by-dep-${process.pid}`;
const schema = z.object({ offset: z.number().default(0) });

@RegisterLoss({
  name: NAME,
  description: 'sum of errors times an injected factor, plus an offset option',
  coreApi: '^1.0.0',
  options: schema,
  defaults: [{ token: SCALER, provider: { useFactory: () => ({ factor: ++defaultBuilds && 10 }) } }],
})
class ScaledByDependency implements LossPlugin {
  constructor(
    @inject(SCALER) private readonly scaler: Scaler,
    @inject(LOSS_OPTIONS) private readonly options: z.infer<typeof schema>,
  ) {}
  compute(t: tf.Tensor, p: tf.Tensor) {
    return tf.add(tf.mul(this.scaler.factor, tf.sum(tf.sub(t, p), -1)), this.options.offset);
  }
}
void ScaledByDependency;

describe('core: dependency injection', () => {
  const yTrue = () => tf.tensor2d([[2, 1]]);
  const yPred = () => tf.tensor2d([[0, 0]]);
  before(async () => {
    await tf.setBackend('cpu');
  });
  after(() => getLossRegistry().unregister(NAME));

  it("uses the plugin's default provider when the application registered none", () => {
    const out = getLossRegistry().resolveSync(NAME).perSample(yTrue(), yPred());
    expect(out.dataSync()[0]).to.equal(30);
  });

  it('a container the application passes overrides the default, and options reach the same instance', () => {
    const appContainer = globalContainer.createChildContainer();
    appContainer.register(SCALER, { useValue: { factor: 2 } });
    const out = getLossRegistry().resolveSync({ name: NAME, options: { offset: 1 } }, { container: appContainer }).perSample(yTrue(), yPred());
    expect(out.dataSync()[0]).to.equal(7);
  });

  it('each resolution gets its own options; one never leaks into another', () => {
    const registry = getLossRegistry();
    const a = registry.resolveSync({ name: NAME, options: { offset: 100 } });
    const b = registry.resolveSync(NAME);
    expect(a.perSample(yTrue(), yPred()).dataSync()[0]).to.equal(130);
    expect(b.perSample(yTrue(), yPred()).dataSync()[0]).to.equal(30);
    // options live in per-resolution child containers, never in the global one
    expect(globalContainer.isRegistered(LOSS_OPTIONS, true)).to.equal(false);
  });
});
