import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import {
  getLossRegistry,
  InvalidOptionsError,
  LOSS_NAME,
  LOSS_OPTIONS,
  registerLossClass,
  VersionMismatchError,
  z,
  type InjectionToken,
} from '@losskit/core';
// After core, which loads reflect-metadata: tsyringe needs it as it loads.
import { container } from 'tsyringe';

// registerLossClass: plugins with options and dependencies, written without decorators (the
// classes here carry none, so no design-time metadata exists: only the function API wires them).

const registry = getLossRegistry();
let counter = 0;
const uniqueName = (base: string) => `${base}-${process.pid}-${++counter}`;

interface Offset {
  value: number;
}
const OFFSET: InjectionToken<Offset> = Symbol.for('losskit.test.register-class.offset');

describe('core: registerLossClass (plugins without decorators)', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('passes the validated options, defaults filled in, to the constructor by default', async () => {
    const name = uniqueName('scaled-l1');
    const Plugin = registerLossClass(
      class ScaledL1 {
        readonly scale: number;
        constructor(options: { scale: number }) {
          this.scale = options.scale;
        }
        compute(yTrue: tf.Tensor, yPred: tf.Tensor) {
          return tf.mul(tf.sum(tf.abs(tf.sub(yTrue, yPred)), -1), this.scale);
        }
      },
      { name, description: 'scaled L1', coreApi: '^1.0.0', options: z.object({ scale: z.number().positive().default(2) }) },
    );
    expect(Plugin.name).to.equal('ScaledL1');
    const yTrue = tf.tensor2d([[1, 2], [3, 4]]);
    const yPred = tf.tensor2d([[0, 0], [0, 0]]);
    // |1| + |2| = 3 and |3| + |4| = 7, times the scale
    expect(Array.from((await registry.resolveAsync(name)).perSample(yTrue, yPred).dataSync())).to.deep.equal([6, 14]);
    const scaled = await registry.resolveAsync({ name, options: { scale: 0.5 } });
    expect(Array.from(scaled.perSample(yTrue, yPred).dataSync())).to.deep.equal([1.5, 3.5]);
    expect(scaled.spec).to.deep.include({ name, options: { scale: 0.5 } });
    await expectRejection(registry.resolveAsync({ name, options: { scale: -1 } }), InvalidOptionsError, /scale/);
    await expectRejection(registry.resolveAsync({ name, options: { scael: 1 } }), InvalidOptionsError, /scael/);
    registry.unregister(name);
  });

  it('injects the listed tokens in parameter order, with the plugin default used only when the application registers none', async () => {
    const name = uniqueName('offset-l1');
    registerLossClass(
      class OffsetL1 {
        constructor(
          readonly lossName: string,
          readonly offset: Offset,
        ) {}
        compute(yTrue: tf.Tensor, yPred: tf.Tensor) {
          return tf.add(tf.sum(tf.abs(tf.sub(yTrue, yPred)), -1), this.offset.value);
        }
      },
      {
        name,
        description: 'L1 plus an injected offset',
        coreApi: '^1.0.0',
        inject: [LOSS_NAME, OFFSET],
        defaults: [{ token: OFFSET, provider: { useValue: { value: 100 } } }],
      },
    );
    const yTrue = tf.tensor2d([[1, 2]]);
    const yPred = tf.tensor2d([[0, 0]]);
    expect(Array.from((await registry.resolveAsync(name)).perSample(yTrue, yPred).dataSync())).to.deep.equal([103]);
    const mine = container.createChildContainer();
    mine.register(OFFSET, { useValue: { value: 10 } });
    expect(Array.from((await registry.resolveAsync(name, { container: mine })).perSample(yTrue, yPred).dataSync())).to.deep.equal([13]);
    registry.unregister(name);
  });

  it('refuses a constructor with more parameters than tokens, naming the class and the fix', async () => {
    const name = uniqueName('too-many');
    class NeedsTwo {
      constructor(
        readonly options: Record<string, unknown>,
        readonly offset: Offset,
      ) {}
      compute(yTrue: tf.Tensor) {
        return tf.sum(yTrue, -1);
      }
    }
    expect(() => registerLossClass(NeedsTwo, { name, description: 'x', coreApi: '^1.0.0' })).to.throw(
      TypeError,
      /constructor of NeedsTwo .* takes 2 parameters, but inject lists 1 token.*LOSS_OPTIONS, MY_TOKEN/,
    );
    expect(registry.has(name)).to.equal(false);
  });

  it('refuses what is not a plugin class, and a plugin built for another core API', async () => {
    const name = uniqueName('not-a-class');
    const notAClass = (() => tf.scalar(0)) as unknown as Parameters<typeof registerLossClass>[0];
    expect(() => registerLossClass(notAClass, { name, description: 'x', coreApi: '^1.0.0' })).to.throw(TypeError, /compute\(yTrue, yPred\)/);
    class Future {
      compute(yTrue: tf.Tensor) {
        return tf.sum(yTrue, -1);
      }
    }
    expect(() => registerLossClass(Future, { name, description: 'x', coreApi: '^2.0.0', inject: [] })).to.throw(VersionMismatchError);
    expect(registry.has(name)).to.equal(false);
  });

  it('keeps tensors flat across resolve, compute and dispose', async () => {
    const name = uniqueName('flat');
    registerLossClass(
      class Flat {
        compute(yTrue: tf.Tensor, yPred: tf.Tensor) {
          return tf.mean(tf.square(tf.sub(yTrue, yPred)), -1);
        }
      },
      { name, description: 'x', coreApi: '^1.0.0', inject: [] },
    );
    const yTrue = tf.tensor2d([[1, 2]]);
    const yPred = tf.tensor2d([[0, 0]]);
    const before = tf.memory().numTensors;
    const loss = await registry.resolveAsync(name);
    tf.dispose(loss.perSample(yTrue, yPred));
    loss.dispose();
    expect(tf.memory().numTensors).to.equal(before);
    registry.unregister(name);
  });

  it('passes LOSS_OPTIONS as the options object when the class declares no schema', async () => {
    const name = uniqueName('no-schema');
    let received: unknown;
    registerLossClass(
      class NoSchema {
        constructor(options: unknown) {
          received = options;
        }
        compute(yTrue: tf.Tensor) {
          return tf.sum(yTrue, -1);
        }
      },
      { name, description: 'x', coreApi: '^1.0.0', inject: [LOSS_OPTIONS] },
    );
    await registry.resolveAsync(name);
    expect(received).to.deep.equal({});
    registry.unregister(name);
  });
});

/** The promise rejects with an error of that class whose message matches. */
async function expectRejection(promise: Promise<unknown>, type: new (...args: never[]) => Error, message: RegExp): Promise<void> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).to.be.instanceOf(type);
  expect((outcome as Error).message).to.match(message);
}
