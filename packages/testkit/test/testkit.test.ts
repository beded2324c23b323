import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import {
  LOSS_OPTIONS,
  RegisterLoss,
  ShapeMismatchError,
  getLossRegistry,
  inject,
  z,
  type LossMetadata,
  type LossPlugin,
} from '@losskit/core';
import { CHECK_IDS, checkLossPlugin, edgeCasesForRange, LossPluginCheckError, type CheckId, type LossPluginTestConfig } from '@losskit/testkit';

// The kit is only useful if it fails: each plugin below is broken in one way, registered under
// a unique name, and must fail exactly the checks that breakage concerns.

const registry = getLossRegistry();
const suffix = `${process.pid}-${Date.now().toString(36)}`;
const registered: string[] = [];
const leaked: tf.Tensor[] = [];

type PluginClass = new (...args: never[]) => LossPlugin;

/** What `@RegisterLoss(meta)` on a class does; written as calls because tests are not compiled by tsc. */
function register(base: string, cls: PluginClass, meta: Partial<LossMetadata> = {}, injectOptions = false): string {
  const name = `testkit-${base}-${suffix}`;
  if (injectOptions) inject(LOSS_OPTIONS)(cls, undefined, 0);
  RegisterLoss({
    name,
    description: `testkit fixture: ${base}`,
    coreApi: '^1.0.0',
    package: { name: `losskit-loss-testkit-${base}`, version: '0.0.0' },
    ...meta,
  })(cls);
  registered.push(name);
  return name;
}

const squaredError = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.mean(tf.square(tf.sub(yPred, yTrue)), -1);

/** Runs every check and returns the ids that failed (and the report, to show in assertion messages). */
async function failingChecks(config: LossPluginTestConfig): Promise<{ ids: CheckId[]; text: string }> {
  const report = await checkLossPlugin(config, { throwOnFailure: false });
  return {
    ids: report.failed.map((result) => result.id),
    text: report.failed.map((result) => `${result.id}: ${result.message}`).join('\n'),
  };
}

describe('@losskit/testkit', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  after(() => {
    for (const name of registered) registry.unregister(name);
    tf.dispose(leaked);
  });

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

  describe('inputRange: edge cases for losses whose inputs lie in a range', () => {
    // log(1 + x) - log(1 + y): finite on [0, 1], NaN below -1, so the default edge cases
    // (-1e4) fail it although it is fine on its domain.
    class LogRatio implements LossPlugin {
      compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
        return tf.mean(tf.square(tf.sub(tf.log1p(yPred), tf.log1p(yTrue))), -1);
      }
    }
    // 1 / (x - y)^2 is infinite wherever the inputs are identical.
    class InverseDistance implements LossPlugin {
      compute(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
        return tf.mean(tf.div(1, tf.square(tf.sub(yPred, yTrue))), -1);
      }
    }
    let logRatio: string;
    before(() => {
      logRatio = register('log-ratio', LogRatio);
    });

    it('with the default edge cases, a loss defined on [0, 1] fails the finite check', async () => {
      const { ids, text } = await failingChecks({ name: logRatio, valueRange: { yTrue: [0, 1], yPred: [0, 1] } });
      expect(ids, text).to.deep.equal(['finite']);
      expect(text).to.match(/on 'large values apart' \(y_true -10000/);
    });

    it('with inputRange [0, 1] it passes every check: edge cases and random inputs inside the range', async () => {
      const report = await checkLossPlugin({ name: logRatio, inputRange: [0, 1] }, { throwOnFailure: false });
      expect(report.failed.map((r) => `${r.id}: ${r.message}`)).to.deep.equal([]);
    });

    it('edgeCasesForRange covers both ends, each end against the other, and identical random inputs', async () => {
      const cases = edgeCasesForRange([0, 255]);
      const pairs = cases.map((c) => [c.yTrue, c.yPred]);
      expect(pairs).to.deep.include.members([[0, 0], [255, 255], [0, 255], [255, 0], ['random', 'same']]);
      const refused = await checkLossPlugin({ name: logRatio, inputRange: [1, 0] }).then(() => undefined, (error: unknown) => error);
      expect(String(refused)).to.match(/inputRange must be \[low, high\] with low < high/);
    });

    it("catches a loss that is infinite on identical inputs through the 'same' edge case", async () => {
      const name = register('inverse-distance', InverseDistance);
      const { ids, text } = await failingChecks({ name, inputRange: [0, 1], skip: ['gradient', 'reductions', 'determinism', 'shapes', 'serialization', 'memory'] });
      expect(ids, text).to.deep.equal(['finite']);
      expect(text).to.match(/on 'both at the low end'/);
    });
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
