import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CORE_API_VERSION,
  createPluginLoader,
  firstPartyOwner,
  getLossRegistry,
  installedConventionalLossNames,
  InvalidOptionsError,
  KERAS_CATALOG,
  LossRegistry,
  LossSpecError,
  PluginLoadError,
  ReservedLossNameError,
  ShapeMismatchError,
  UnknownLossError,
  type RegisteredLoss,
} from '@losskit/core';

// TF.js's model.compile names (tfjs-layers losses.ts lossesMap)
const TFJS_NAMES = [
  'meanSquaredError', 'meanAbsoluteError', 'meanAbsolutePercentageError', 'meanSquaredLogarithmicError', 'squaredHinge',
  'hinge', 'categoricalHinge', 'logcosh', 'categoricalCrossentropy', 'sparseCategoricalCrossentropy', 'binaryCrossentropy',
  'kullbackLeiblerDivergence', 'poisson', 'cosineProximity',
];
// keras/src/losses/__init__.py: ALL_OBJECTS_DICT's class and function names, and its short aliases
const KERAS_NAMES = [
  'KLDivergence', 'Poisson', 'BinaryCrossentropy', 'BinaryFocalCrossentropy', 'CategoricalCrossentropy', 'CategoricalFocalCrossentropy',
  'SparseCategoricalCrossentropy', 'MeanSquaredError', 'MeanAbsoluteError', 'MeanAbsolutePercentageError', 'MeanSquaredLogarithmicError',
  'CosineSimilarity', 'LogCosh', 'Huber', 'Hinge', 'SquaredHinge', 'CategoricalHinge', 'Dice', 'Tversky', 'Circle', 'CTC',
  'CategoricalGeneralizedCrossEntropy', 'kl_divergence', 'poisson', 'binary_crossentropy', 'binary_focal_crossentropy',
  'categorical_crossentropy', 'categorical_focal_crossentropy', 'sparse_categorical_crossentropy', 'mean_squared_error',
  'mean_absolute_error', 'mean_absolute_percentage_error', 'mean_squared_logarithmic_error', 'cosine_similarity', 'log_cosh', 'huber',
  'hinge', 'squared_hinge', 'categorical_hinge', 'dice', 'tversky', 'circle', 'ctc', 'categorical_generalized_cross_entropy',
  'bce', 'BCE', 'kld', 'KLD', 'mae', 'MAE', 'mse', 'MSE', 'mape', 'MAPE', 'msle', 'MSLE',
];

function entry(name: string, aliases: string[], pkg: string | undefined, override = false): RegisteredLoss {
  return {
    name,
    meta: { name, aliases, description: 'test', coreApi: `^${CORE_API_VERSION}`, override, ...(pkg ? { package: { name: pkg, version: '1.0.0' } } : {}) },
    owner: pkg ?? `class ${name}`,
    builtin: false,
    build: () => ({ compute: (t) => tf.sum(t, -1) }),
  };
}

describe('core: Keras 3 names, one loss per identifier', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('every Keras and TF.js identifier has exactly one owner, and each catalog loss a kebab-case canonical name', () => {
    for (const name of [...KERAS_NAMES, ...TFJS_NAMES]) expect(firstPartyOwner(name), name).to.not.equal(undefined);
    for (const e of KERAS_CATALOG) expect(e.name, e.className).to.match(/^[a-z]+(-[a-z]+)*$/);
    const everyName = KERAS_CATALOG.flatMap((e) => [...new Set([e.name, e.keras, e.className, ...e.aliases])]);
    expect(new Set(everyName).size).to.equal(everyName.length, 'no identifier names two losses');
  });

  it("core's README catalog table lists every loss with all its identifiers, options and package", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const e of KERAS_CATALOG) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${e.name}\` |`));
      expect(row, e.name).to.be.a('string');
      for (const name of [e.keras, e.className, ...e.aliases, e.package]) expect(row, `${e.name}: ${name}`).to.contain(`\`${name}\``);
      for (const option of Object.keys(e.options?.shape ?? {})) expect(row, `${e.name}: ${option}`).to.contain(`\`${option}\``);
    }
  });

  it("resolves each of core's identifiers to its catalog loss", () => {
    const registry = getLossRegistry();
    for (const name of [...KERAS_NAMES, ...TFJS_NAMES]) {
      const owner = firstPartyOwner(name)!;
      if (owner.package !== '@losskit/core') continue; // the MSE names: loss-mse's tests
      expect(registry.get(name).name, name).to.equal(owner.canonical);
    }
  });

  it('a first-party name whose package is not loaded names that package exactly, whatever the spelling', () => {
    const empty = new LossRegistry();
    for (const name of ['mse', 'MeanSquaredError', 'mean_squared_error', 'meanSquaredError']) {
      expect(() => empty.get(name), name).to.throw(UnknownLossError, /is provided by @losskit\/loss-mse, which is not loaded.*pnpm add @losskit\/loss-mse/);
    }
  });

  it('suggestions consider first-party names not registered yet and installed conventional packages', () => {
    const empty = new LossRegistry();
    expect(() => empty.get('mean_sqared_error')).to.throw(UnknownLossError, /Did you mean 'mean_squared_error'\?/);
    const root = mkdtempSync(path.join(tmpdir(), 'losskit-names-'));
    try {
      for (const dir of ['node_modules/losskit-loss-focal-dice', 'node_modules/@losskit/loss-ssim', 'node_modules/unrelated']) mkdirSync(path.join(root, dir), { recursive: true });
      const installed = installedConventionalLossNames({ resolveFrom: root });
      expect(installed).to.include.members(['focal-dice', 'ssim']);
      expect(installed).to.not.include('unrelated');
      empty.setInstalledNames(() => installed);
      expect(() => empty.get('focal-dise')).to.throw(UnknownLossError, /Did you mean 'focal-dice'\?/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('discovery looks for a first-party name in the package that owns it', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'losskit-owner-'));
    try {
      const dir = path.join(root, 'node_modules/@losskit/loss-mse');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: '@losskit/loss-mse', version: '0.0.0', type: 'module', exports: { '.': './index.js' } }));
      writeFileSync(path.join(dir, 'index.js'), "throw new Error('stand-in imported');\n");
      // 'MeanSquaredError' matches no naming convention: only the owner table leads to the package
      const loader = createPluginLoader({ resolveFrom: root });
      let error: unknown;
      await loader('MeanSquaredError', {}).catch((e) => (error = e));
      expect(error).to.be.instanceOf(PluginLoadError);
      expect((error as Error).message).to.match(/Importing loss plugin package '@losskit\/loss-mse' failed: stand-in imported/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  for (const order of ['owner first', 'override first']) {
    it(`an override holds a name whichever is registered first (${order}); the registry says what it replaced`, () => {
      const registry = new LossRegistry();
      const owner = entry('mse', ['MeanSquaredError', 'MSE'], '@losskit/loss-mse');
      const override = entry('mse', [], 'acme-mse', true);
      if (order === 'owner first') registry.register(owner);
      registry.register(override);
      if (order === 'override first') registry.register(owner);
      // the canonical name, and so every name of the owner, means the override
      for (const name of ['mse', 'MeanSquaredError', 'MSE']) expect(registry.get(name), name).to.equal(override);
      expect(registry.describe('mse').overrides!.map((o) => o.name)).to.include('mse');
      registry.unregister('mse');
      expect(registry.get('MSE')).to.equal(owner);
    });

    it(`without override a third party can never take a first-party name (${order})`, () => {
      const registry = new LossRegistry();
      const owner = entry('mse', ['MeanSquaredError'], '@losskit/loss-mse');
      if (order === 'owner first') registry.register(owner);
      expect(() => registry.register(entry('my-loss', ['MeanSquaredError'], 'acme'))).to.throw(ReservedLossNameError, /'MeanSquaredError' belongs to @losskit\/loss-mse/);
      expect(registry.has('my-loss')).to.equal(false);
    });
  }
});

describe('core: catalog losses refuse shapes they cannot take, naming the loss, with no tensor left', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const e of KERAS_CATALOG.filter((entry) => entry.package === '@losskit/core')) {
    it(e.name, () => {
      const loss = getLossRegistry().resolveSync(e.className);
      const yTrue = tf.zeros([2, 3]);
      const yPred = tf.zeros([2, 4]);
      const before = tf.memory().numTensors;
      expect(() => loss.compute(yTrue, yPred)).to.throw(ShapeMismatchError, new RegExp(`Loss '${e.name}'`));
      expect(tf.memory().numTensors).to.equal(before);
      tf.dispose([yTrue, yPred]);
    });
  }
});

describe('core: Keras serialized loss configs and Keras options as specs', () => {
  const registry = getLossRegistry();

  it('takes keras.losses.serialize output (module, registered_name, name, dtype) with snake_case arguments', () => {
    const loss = registry.resolveSync({
      module: 'keras.losses',
      class_name: 'BinaryFocalCrossentropy',
      config: { name: 'bfce', reduction: 'sum', dtype: 'float32', apply_class_balancing: true, alpha: 0.3, gamma: 1.5, from_logits: true, label_smoothing: 0.05, axis: -1 },
      registered_name: null,
    });
    expect(loss.spec).to.deep.equal({
      name: 'binary-focal-crossentropy',
      options: { applyClassBalancing: true, alpha: 0.3, gamma: 1.5, fromLogits: true, labelSmoothing: 0.05, axis: -1 },
      reduction: 'sum',
    });
    expect(registry.resolveSync({ class_name: 'Dice', config: { reduction: null } }).reduction).to.equal('none');
  });

  it('refuses what it cannot honour, naming the key', () => {
    expect(() => registry.resolveSync({ class_name: 'Huber', config: { dtype: 'float16' } })).to.throw(LossSpecError, /dtype "float16" is not supported/);
    expect(() => registry.resolveSync({ class_name: 'Huber', config: { reduction: 'avg' } })).to.throw(LossSpecError, /unknown reduction "avg"/);
    expect(() => registry.resolveSync({ class_name: 'Huber', config: { delta: 1 }, extra: 1 } as never)).to.throw(LossSpecError, /unknown key 'extra'/);
    expect(() => registry.resolveSync({ class_name: 'Huber', config: { delt: 1 } })).to.throw(InvalidOptionsError, /option 'delt': unknown option; known options: delta/);
    expect(() => registry.resolveSync({ class_name: 'LossFunctionWrapper', config: {} })).to.throw(UnknownLossError);
  });

  it("a Keras config in a sum keeps the sum's reduction: one that matches is accepted, another is an error naming the term", () => {
    // keras.losses.serialize always writes a reduction; the default one is the sum's default too
    const sum = registry.resolveSync({ sum: [{ class_name: 'Huber', config: { reduction: 'sum_over_batch_size', delta: 2 } }, 'mae'] });
    expect(sum.spec).to.deep.include({ reduction: 'sum_over_batch_size' });
    const summed = registry.resolveSync({ sum: [{ class_name: 'Huber', config: { reduction: 'sum' } }, 'mae'], reduction: 'sum' });
    expect(summed.reduction).to.equal('sum');
    expect(() => registry.resolveSync({ sum: ['mae', { class_name: 'Huber', config: { reduction: 'sum' } }] })).to.throw(
      LossSpecError,
      /Term 1 \(Keras config 'Huber'\) of a sum loss has reduction 'sum' in its config.*reduction: 'sum'/,
    );
    // a plain spec's term may not set one at all, not even the sum's
    expect(() => registry.resolveSync({ sum: ['mae', { name: 'huber', reduction: 'sum_over_batch_size' }] })).to.throw(
      LossSpecError,
      /Term 1 \('huber'\) of a sum loss sets a reduction; set it once on the sum/,
    );
  });

  it("validates each loss's Keras options with its schema and fills in Keras's defaults", () => {
    expect(registry.describe('sparse_categorical_crossentropy').defaults).to.deep.equal({ fromLogits: false, ignoreClass: null, axis: -1 });
    expect(registry.describe('Circle').defaults).to.deep.equal({ gamma: 80, margin: 0.4, removeDiagonal: true });
    expect(registry.describe('tversky').defaults).to.deep.equal({ alpha: 0.5, beta: 0.5, axis: null });
    expect(registry.describe('categorical_generalized_cross_entropy').defaults).to.deep.equal({ q: 0.5 });
    expect(() => registry.resolveSync({ name: 'bce', options: { fromLogits: 'yes' } })).to.throw(InvalidOptionsError, /fromLogits/);
    expect(() => registry.resolveSync({ name: 'bce', options: { labelSmoothing: 2 } })).to.throw(InvalidOptionsError, /labelSmoothing/);
    expect(() => registry.resolveSync({ name: 'SparseCategoricalCrossentropy', options: { ignoreClass: 1.5 } })).to.throw(InvalidOptionsError, /ignoreClass/);
    expect(() => registry.resolveSync({ name: 'huber', options: { delta: 0 } })).to.throw(InvalidOptionsError, /delta/);
    // Keras's snake_case spelling in losskit options: the camelCase name is suggested
    expect(() => registry.resolveSync({ name: 'bce', options: { from_logits: true } })).to.throw(InvalidOptionsError, /option 'from_logits': unknown option; .*did you mean 'fromLogits'\?/);
  });
});
