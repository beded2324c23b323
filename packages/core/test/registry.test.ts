import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import {
  DuplicateLossError,
  getLossRegistry,
  InvalidOptionsError,
  LOSS_OPTIONS,
  RegisterLoss,
  ReservedLossNameError,
  UnknownLossError,
  VersionMismatchError,
  inject,
  registerLossFunction,
  z,
  type LossPlugin,
} from '@losskit/core';

const registry = getLossRegistry();

/** Unique per test so registrations never collide between tests. */
let counter = 0;
const uniqueName = (base: string) => `${base}-${process.pid}-${++counter}`;

describe('core: registry', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('resolves a loss by its canonical name and by each alias to the same plugin', () => {
    const name = uniqueName('abs-diff');
    registerLossFunction({ name, aliases: [`${name}-a`, `${name}-b`], description: 'test' }, (t, p) =>
      tf.sum(tf.abs(tf.sub(t, p)), -1),
    );
    const yTrue = tf.tensor2d([[1, 2], [3, 4]]);
    const yPred = tf.tensor2d([[0, 0], [0, 0]]);
    for (const alias of [name, `${name}-a`, `${name}-b`]) {
      const loss = registry.resolveSync(alias);
      expect(loss.name).to.equal(name);
      expect(loss.spec).to.deep.include({ name });
      expect(Array.from(loss.perSample(yTrue, yPred).dataSync())).to.deep.equal([3, 7]);
    }
    expect(registry.list()).to.include(name);
    expect(registry.list()).not.to.include(`${name}-a`);
    registry.unregister(name);
    expect(registry.has(`${name}-a`)).to.equal(false);
  });

  it('refuses a duplicate name or alias and names both owners', () => {
    const name = uniqueName('dup');
    registerLossFunction({ name, description: 'first', package: { name: 'pkg-first', version: '1.0.0' } }, (t, p) =>
      tf.sub(t, p).sum(-1),
    );
    const second = () =>
      registerLossFunction(
        { name: `${name}-other`, aliases: [name], description: 'second', package: { name: 'pkg-second', version: '2.0.0' } },
        (t, p) => tf.sub(p, t).sum(-1),
      );
    expect(second).to.throw(DuplicateLossError, /'dup-[\d-]+' is already registered by pkg-first@1\.0\.0.*pkg-second@2\.0\.0/s);
    // the failed registration left nothing behind
    expect(registry.has(`${name}-other`)).to.equal(false);
    registry.unregister(name);
  });

  it('the same plugin loaded twice (same class, package and version) is not a duplicate; another version is', () => {
    const name = uniqueName('reloaded');
    // Each call makes a new class named SameLoss, as a second module instance of one file would.
    const load = (version: string, factor: number) => {
      @RegisterLoss({ name, description: 'x', coreApi: '^1.0.0', package: { name: 'losskit-loss-reloaded', version } })
      class SameLoss implements LossPlugin {
        compute(t: tf.Tensor, p: tf.Tensor) {
          return tf.mul(factor, tf.sum(tf.sub(t, p), -1));
        }
      }
      return SameLoss;
    };
    load('1.0.0', 1);
    expect(() => load('1.0.0', 2)).not.to.throw();
    expect(registry.resolveSync(name).perSample(tf.tensor2d([[2]]), tf.tensor2d([[1]])).dataSync()[0]).to.equal(2, 'the newer copy answers');
    expect(() => load('2.0.0', 3)).to.throw(DuplicateLossError, /losskit-loss-reloaded@1\.0\.0.*losskit-loss-reloaded@2\.0\.0/s);
    registry.unregister(name);
  });

  it('lets a registration that says override replace an existing one', () => {
    const name = uniqueName('override');
    registerLossFunction({ name, description: 'v1' }, (t, p) => tf.sum(tf.sub(t, p), -1));
    registerLossFunction({ name, description: 'v2', override: true }, (t, p) => tf.sum(tf.mul(2, tf.sub(t, p)), -1));
    const out = registry.resolveSync(name).perSample(tf.tensor2d([[3]]), tf.tensor2d([[1]]));
    expect(out.dataSync()[0]).to.equal(4);
    expect(registry.describe(name).description).to.equal('v2');
    registry.unregister(name);
  });

  it('a name resolved before (bare or without options) follows a later override, unregister and re-register', () => {
    const name = uniqueName('cached');
    const value = (spec: string | { name: string; reduction: 'sum' }) =>
      tf.tidy(() => registry.resolveSync(spec).perSample(tf.tensor2d([[3]]), tf.tensor2d([[1]])).dataSync()[0]);
    registerLossFunction({ name, aliases: [`${name}-alias`], description: 'v1' }, (t, p) => tf.sum(tf.sub(t, p), -1));
    for (const spec of [name, `${name}-alias`, { name, reduction: 'sum' as const }]) expect(value(spec)).to.equal(2);
    registerLossFunction({ name, aliases: [`${name}-alias`], description: 'v2', override: true }, (t, p) => tf.sum(tf.mul(3, tf.sub(t, p)), -1));
    for (const spec of [name, `${name}-alias`, { name, reduction: 'sum' as const }]) expect(value(spec)).to.equal(6);
    registry.unregister(name);
    // the overridden registration answers again
    for (const spec of [name, `${name}-alias`, { name, reduction: 'sum' as const }]) expect(value(spec)).to.equal(2);
    registry.unregister(name);
    expect(() => registry.resolveSync(name)).to.throw(UnknownLossError);
    expect(() => registry.resolveSync(`${name}-alias`)).to.throw(UnknownLossError);
    registerLossFunction({ name, description: 'v3' }, (t, p) => tf.sum(tf.mul(-1, tf.sub(t, p)), -1));
    expect(value(name)).to.equal(-2);
    registry.unregister(name);
  });

  it("changing one resolution's saved options never changes the next resolution's", () => {
    const first = registry.resolveSync('binary_crossentropy');
    const defaults = { ...(first.spec as { options: Record<string, unknown> }).options };
    (first.spec as { options: Record<string, unknown> }).options.fromLogits = 'tampered';
    const again = registry.resolveSync({ name: 'binary_crossentropy', reduction: 'sum' });
    expect((again.spec as { options: Record<string, unknown> }).options.fromLogits).to.equal(false);
    expect((registry.resolveSync('binary_crossentropy').spec as { options: Record<string, unknown> }).options).to.deep.equal({ ...defaults, fromLogits: false });
  });

  it("a first-party name (Keras's 'poisson') cannot be taken without override, naming its owner", () => {
    expect(registry.describe('poisson').builtin).to.equal(true, 'precondition: the catalog loss is present');
    const name = uniqueName('poisson-like');
    expect(() => registerLossFunction({ name, aliases: ['poisson'], description: 'takes over' }, (t, p) => tf.sum(tf.sub(t, p), -1))).to.throw(
      ReservedLossNameError,
      /Loss name 'poisson' belongs to @losskit\/core .*declare `override: true`/,
    );
    expect(registry.has(name)).to.equal(false, 'a refused registration registers none of its names');
    expect(registry.get('poisson').builtin).to.equal(true);
  });

  it("an override of a catalog loss's canonical name takes all its names, says so, and gives them back when it goes", () => {
    const name = uniqueName('my-logcosh');
    registerLossFunction({ name, aliases: ['log-cosh'], description: 'takes over log-cosh', override: true }, (t, p) => tf.sum(tf.sub(t, p), -1));
    // every name of the catalog loss now means the plugin, so a saved spec comes back as the same loss
    for (const alias of ['logcosh', 'log_cosh', 'LogCosh', 'logCosh']) expect(registry.get(alias).name, alias).to.equal(name);
    expect(registry.resolveSync('log_cosh').spec).to.deep.include({ name });
    expect(registry.list()).not.to.include('log-cosh');
    const overrides = registry.describe(name).overrides!;
    expect(overrides.map((o) => o.name).sort()).to.deep.equal(['LogCosh', 'log-cosh', 'logCosh', 'log_cosh', 'logcosh']);
    expect(overrides.every((o) => o.owner.includes('@losskit/core'))).to.equal(true);
    registry.unregister(name);
    expect(registry.get('LogCosh').name).to.equal('log-cosh');
    expect(registry.get('logcosh').builtin).to.equal(true);
    expect(registry.describe('log-cosh').overrides).to.equal(undefined);
  });

  it('suggests a canonical name over an alias at the same distance', () => {
    const name = uniqueName('zq');
    const perSample = (t: tf.Tensor, p: tf.Tensor) => tf.sum(tf.sub(t, p), -1);
    // The alias is registered first, so it comes first in registration order.
    registerLossFunction({ name: `${name}-other`, aliases: [`${name}-xy`], description: 'x' }, perSample);
    registerLossFunction({ name: `${name}-ab`, description: 'x' }, perSample);
    // '-ay' is one edit from the alias '-xy' and one from the canonical name '-ab'
    expect(() => registry.resolveSync(`${name}-ay`)).to.throw(UnknownLossError, new RegExp(`Did you mean '${name}-ab'\\?`));
    registry.unregister(`${name}-ab`);
    registry.unregister(`${name}-other`);
  });

  it('an unknown name lists registered names, suggests the closest and names the package to install', () => {
    let error: unknown;
    try {
      registry.resolveSync('hinje');
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(UnknownLossError);
    const message = (error as Error).message;
    expect(message).to.match(/Unknown loss 'hinje'/);
    expect(message).to.match(/Did you mean 'hinge'\?/);
    expect(message).to.contain('categorical-crossentropy');
    expect(message).to.contain('@losskit/loss-hinje');
    expect((error as UnknownLossError).packageToInstall).to.equal('@losskit/loss-hinje');
  });

  it('refuses a plugin built for another core API version, naming plugin, range and running version', () => {
    const define = () => {
      @RegisterLoss({ name: uniqueName('future'), description: 'x', coreApi: '^2.0.0', package: { name: 'losskit-loss-future', version: '3.1.0' } })
      class FutureLoss implements LossPlugin {
        compute(t: tf.Tensor, p: tf.Tensor) {
          return tf.sub(t, p).sum(-1);
        }
      }
      return FutureLoss;
    };
    expect(define).to.throw(VersionMismatchError, /losskit-loss-future@3\.1\.0.*\^2\.0\.0.*API 1\.0\.0/s);
  });
});

describe('core: options', () => {
  const name = uniqueName('scaled');
  const schema = z.object({
    scale: z.number().positive().default(2),
    mode: z.enum(['square', 'abs']).default('square'),
  });

  @RegisterLoss({ name, description: 'scaled error', coreApi: '^1.0.0', options: schema })
  class ScaledLoss implements LossPlugin {
    constructor(@inject(LOSS_OPTIONS) private readonly options: z.infer<typeof schema>) {}
    compute(t: tf.Tensor, p: tf.Tensor) {
      const diff = tf.sub(t, p);
      const error = this.options.mode === 'square' ? tf.square(diff) : tf.abs(diff);
      return tf.mul(this.options.scale, tf.sum(error, -1));
    }
  }
  void ScaledLoss;

  after(() => registry.unregister(name));

  it('fills in defaults and injects the validated options', () => {
    const loss = registry.resolveSync(name);
    expect(loss.spec).to.deep.include({ options: { scale: 2, mode: 'square' } });
    const out = loss.perSample(tf.tensor2d([[3, 1]]), tf.tensor2d([[1, 1]]));
    expect(out.dataSync()[0]).to.equal(2 * 4);
    const custom = registry.resolveSync({ name, options: { mode: 'abs', scale: 0.5 } });
    expect(custom.perSample(tf.tensor2d([[3, 1]]), tf.tensor2d([[1, 2]])).dataSync()[0]).to.equal(0.5 * 3);
  });

  it('describe() gives the options JSON schema and the defaults', () => {
    const description = registry.describe(name);
    expect(description.defaults).to.deep.equal({ scale: 2, mode: 'square' });
    const properties = (description.optionsSchema as { properties: Record<string, { default?: unknown; enum?: unknown }> }).properties;
    expect(properties.scale!.default).to.equal(2);
    expect(properties.mode!.enum).to.deep.equal(['square', 'abs']);
  });

  it('invalid options name the loss, the option, what was given and what is expected', () => {
    const bad = () => registry.resolveSync({ name, options: { scale: -1 } });
    expect(bad).to.throw(InvalidOptionsError);
    try {
      bad();
    } catch (e) {
      const message = (e as Error).message;
      expect(message).to.contain(`Invalid options for loss '${name}'`);
      expect(message).to.match(/option 'scale': .*(>0|greater than 0|positive).*\(got -1\)/i);
    }
    expect(() => registry.resolveSync({ name, options: { mode: 'cube' } })).to.throw(/option 'mode'.*square.*abs.*\(got "cube"\)/s);
  });

  it('a misspelt option is an error, not silently ignored', () => {
    expect(() => registry.resolveSync({ name, options: { scael: 3 } })).to.throw(
      InvalidOptionsError,
      /option 'scael': unknown option; known options: scale, mode/,
    );
  });
});
