import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { ShapeMismatchError, z, type LossPlugin } from '@losskit/core';
import { CHECK_IDS, checkLossPlugin, LossPluginCheckError } from '@losskit/testkit';
import { failingChecks, leaked, register, squaredError, suffix, useFixtureRegistry } from './testkit-fixtures.js';

// Each broken plugin fails exactly the checks its breakage concerns (fixtures: testkit-fixtures.ts).
// Option and serialization checks: testkit-options.test.ts; inputRange: testkit-input-range.test.ts.
describe('@losskit/testkit', () => {
  useFixtureRegistry();

  describe('a correct plugin', () => {
    class ScaledSquaredError implements LossPlugin {
      constructor(private readonly options: { scale: number }) {}
      compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
        return tf.mul(squaredError(yTrue, yPred), this.options.scale);
      }
    }
    let name: string;
    before(() => {
      name = register('good', ScaledSquaredError, {
        aliases: [`testkit-good-alias-${suffix}`],
        options: z.object({ scale: z.number().positive().default(1) }),
      }, true);
    });

    it('passes every check, including against an independent reference', async () => {
      const report = await checkLossPlugin({
        name,
        aliases: [`testkit-good-alias-${suffix}`],
        defaults: { scale: 1 },
        validOptions: [{ scale: 2.5 }],
        invalidOptions: [{ scale: 0 }, { scale: -1 }, { scale: 'big' }],
        reference: (yTrue, yPred, options) => {
          // written independently of the plugin: from the values, in float64
          const t = yTrue.arraySync() as number[][] | number[][][];
          const p = yPred.arraySync() as typeof t;
          const perRow = (tr: number[], pr: number[]) => (pr.reduce((s, v, i) => s + (v - tr[i]!) ** 2, 0) / pr.length) * (options.scale as number);
          const rows = (t as unknown[]).map((row, b) =>
            Array.isArray((row as unknown[])[0])
              ? (row as number[][]).map((inner, j) => perRow(inner, (p as number[][][])[b]![j]!))
              : perRow(row as number[], (p as number[][])[b]!),
          );
          return tf.tensor(rows as number[]);
        },
      });
      expect(report.passed, report.failed.map((r) => r.message).join('\n')).to.equal(true);
      expect(report.results.map((result) => result.id)).to.deep.equal([...CHECK_IDS]);
    });

    it('throws LossPluginCheckError with the report when a check fails', async () => {
      // the right plugin with a wrong expectation: the defaults
      const error = await checkLossPlugin({ name, defaults: { scale: 2 } }).then(
        () => expect.fail('expected a failure'),
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(LossPluginCheckError);
      expect((error as LossPluginCheckError).report.failed.map((r) => r.id)).to.deep.equal(['options']);
      expect((error as Error).message).to.match(/options: Defaults of .* are \{"scale":1\}, expected \{"scale":2\}/);
    });
  });

  it('catches per-sample values of the wrong shape (no reduction over the last axis)', async () => {
    class ForgotTheMean implements LossPlugin {
      compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
        return tf.square(tf.sub(yPred, yTrue));
      }
    }
    const { ids, text } = await failingChecks({ name: register('wrong-shape', ForgotTheMean) });
    expect(ids, text).to.include('shapes');
    expect(text).to.match(/shapes: Per-sample values have shape \[4,3\] for inputs of shape \[4,3\].*expected \[4\]/);
  });

  it('catches a tensor leaked on every call', async () => {
    class KeepsHistory implements LossPlugin {
      compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
        leaked.push(tf.keep(tf.sum(yPred)));
        return squaredError(yTrue, yPred);
      }
    }
    const { ids, text } = await failingChecks({ name: register('leak', KeepsHistory) });
    expect(ids, text).to.deep.equal(['memory']);
    expect(text).to.match(/tensor\(s\) leaked by one resolve, compute, gradient and dispose cycle/);
  });

  it('catches a tensor leaked only when the loss throws', async () => {
    class LeaksOnThrow implements LossPlugin {
      validateShapes(): void {
        // defers the shape check to compute, where the leak happens
      }
      compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
        const scratch = tf.keep(tf.abs(yPred));
        if (yTrue.shape.join() !== yPred.shape.join()) {
          leaked.push(scratch);
          throw new ShapeMismatchError(`shapes [${yTrue.shape}] and [${yPred.shape}] differ`);
        }
        scratch.dispose();
        return squaredError(yTrue, yPred);
      }
    }
    const { ids, text } = await failingChecks({ name: register('leak-on-throw', LeaksOnThrow) });
    expect(ids, text).to.deep.equal(['memory']);
    expect(text).to.match(/leaked when the loss threw on mismatched shapes/);
  });

  it('catches a loss that accepts mismatched shapes silently', async () => {
    class Broadcasts implements LossPlugin {
      validateShapes(): void {}
      compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
        return tf.mean(tf.square(tf.sub(tf.mean(yPred, -1, true), yTrue)), -1);
      }
    }
    const { ids, text } = await failingChecks({ name: register('broadcasts', Broadcasts) });
    expect(ids, text).to.include('memory');
    expect(text).to.match(/accepted y_true \[2,3\] with y_pred \[2,4\]/);
  });

  it('catches non-finite values on edge inputs', async () => {
    class LogAbsError implements LossPlugin {
      compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
        return tf.mean(tf.log(tf.abs(tf.sub(yPred, yTrue))), -1);
      }
    }
    const { ids, text } = await failingChecks({ name: register('non-finite', LogAbsError) });
    expect(ids, text).to.deep.equal(['finite']);
    expect(text).to.match(/Per-sample value 0 is -Infinity on 'zeros'/);
  });

  it('catches a wrong custom gradient', async () => {
    class WrongGradient implements LossPlugin {
      compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
        // tfjs types customGrad's function as variadic (...inputs, save); ours takes two tensors.
        const lossWithGrad = tf.customGrad(((t: tf.Tensor, p: tf.Tensor, save: tf.GradSaveFunc) => {
          save([t, p]);
          return {
            value: squaredError(t, p),
            // forgets the 1/n of the mean: off by the size of the last axis
            gradFunc: (dy: tf.Tensor, [savedT, savedP]: tf.Tensor[]) => {
              const perElement = tf.mul(2, tf.sub(savedP!, savedT!));
              const grad = tf.mul(tf.expandDims(dy, -1), perElement);
              return [tf.neg(grad), grad];
            },
          };
        }) as unknown as Parameters<typeof tf.customGrad>[0]);
        return lossWithGrad(yTrue, yPred);
      }
    }
    const { ids, text } = await failingChecks({ name: register('wrong-gradient', WrongGradient) });
    expect(ids, text).to.deep.equal(['gradient']);
    expect(text).to.match(/but central finite differences give .*\(tf\.customGrad\)/);
  });

  it('catches a non-deterministic loss', async () => {
    class Noisy implements LossPlugin {
      compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
        return tf.add(squaredError(yTrue, yPred), tf.randomUniform([yPred.shape[0]!], 0, 1e-3));
      }
    }
    const { ids, text } = await failingChecks({ name: register('noisy', Noisy) });
    expect(ids, text).to.include('determinism');
    expect(text).to.match(/determinism: Two calls on the same inputs gave different values/);
  });

  it('catches a plugin without package metadata or with the wrong aliases', async () => {
    class Anonymous implements LossPlugin {
      compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
        return squaredError(yTrue, yPred);
      }
    }
    const name = register('no-package', Anonymous, { package: undefined });
    const { ids, text } = await failingChecks({ name });
    expect(ids, text).to.deep.equal(['registration']);
    expect(text).to.match(/declares no package/);
    const aliased = register('aliased', Anonymous, { aliases: [`testkit-smoth-${suffix}`] });
    const aliases = await failingChecks({ name: aliased, aliases: [`testkit-smooth-${suffix}`] });
    expect(aliases.ids, aliases.text).to.deep.equal(['registration']);
    expect(aliases.text).to.match(/has aliases \[testkit-smoth-.*\], expected \[testkit-smooth-/);
  });

  it('reports an unregistered name as a registration failure', async () => {
    const report = await checkLossPlugin({ name: `testkit-never-registered-${suffix}` }, { throwOnFailure: false, only: ['registration'] });
    expect(report.failed.map((r) => r.message)).to.deep.equal([
      `Loss 'testkit-never-registered-${suffix}' is not registered. Import the plugin package before running the checks.`,
    ]);
  });
});
