import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import {
  CORE_API_VERSION,
  PluginLoadError,
  UnknownLossError,
  VersionMismatchError,
  createPluginLoader,
  getLossRegistry,
  loadPlugins,
  resolvePluginPackage,
} from '@losskit/core';

// Discovery is exercised against real packages in a real node_modules outside the workspace:
// each fixture is a tiny ESM package that registers a loss (or records that it was imported).
// Package names alone (no import): discovery-candidates.test.ts; coreApi ranges at registration:
// core-api-compat.test.ts.

const coreDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);

type FixtureGlobals = typeof globalThis & { __losskitFixtureImports?: string[] };
const imports = () => (globalThis as FixtureGlobals).__losskitFixtureImports ?? [];

/** A package whose import records itself in a global, then runs `body` (ESM, imports core). */
function writePackage(root: string, name: string, body: string, extra: Record<string, unknown> = {}): void {
  const dir = path.join(root, 'node_modules', ...name.split('/'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name, version: '1.2.3', type: 'module', exports: { '.': './index.js' }, ...extra }),
  );
  writeFileSync(
    path.join(dir, 'index.js'),
    `(globalThis.__losskitFixtureImports ??= []).push(${JSON.stringify(name)});\n` +
      `import { registerLossFunction } from '@losskit/core';\n${body}\n`,
  );
}

// The per-sample function uses tensor methods so the fixtures need no tfjs of their own.
const registerAbs = (lossName: string, packageName: string, coreApi = '^1.0.0') =>
  `registerLossFunction({ name: ${JSON.stringify(lossName)}, description: 'fixture', coreApi: ${JSON.stringify(coreApi)}, ` +
  `package: { name: ${JSON.stringify(packageName)}, version: '1.2.3' } }, (t, p) => p.sub(t).abs().mean(-1));`;

describe('plugin discovery', () => {
  let app: string;
  const registry = getLossRegistry();
  const fixtureLosses = [
    'fixture-conv',
    'fixture-unscoped',
    '@acme/fixture-scoped',
    'fixture-explicit',
    'fixture-future',
    'fixture-other-name',
    'fixture-sum-term',
    'fixture-override-owner',
  ];

  before(async () => {
    await tf.setBackend('cpu');
    app = mkdtempSync(path.join(os.tmpdir(), 'losskit-discovery-'));
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    // The application's core is this workspace's core: one module instance, one registry.
    mkdirSync(path.join(app, 'node_modules', '@losskit'), { recursive: true });
    symlinkSync(coreDir, path.join(app, 'node_modules', '@losskit', 'core'), 'dir');

    writePackage(app, '@losskit/loss-fixture-conv', registerAbs('fixture-conv', '@losskit/loss-fixture-conv'));
    writePackage(app, 'losskit-loss-fixture-unscoped', registerAbs('fixture-unscoped', 'losskit-loss-fixture-unscoped'));
    writePackage(app, '@acme/losskit-loss-fixture-scoped', registerAbs('@acme/fixture-scoped', '@acme/losskit-loss-fixture-scoped'));
    writePackage(app, 'losskit-loss-fixture-sum-term', registerAbs('fixture-sum-term', 'losskit-loss-fixture-sum-term'));
    writePackage(app, 'acme-explicit-losses', registerAbs('fixture-explicit', 'acme-explicit-losses'));
    // Overrides the catalog's 'poisson' (mean |p - t| instead of Keras's poisson).
    writePackage(
      app,
      'acme-poisson-override',
      `registerLossFunction({ name: 'fixture-override-owner', aliases: ['poisson'], override: true, description: 'fixture', coreApi: '^1.0.0', ` +
        `package: { name: 'acme-poisson-override', version: '1.2.3' } }, (t, p) => p.sub(t).abs().mean(-1));`,
    );
    writePackage(app, 'losskit-loss-fixture-future', registerAbs('fixture-future', 'losskit-loss-fixture-future', '^2.0.0'));
    writePackage(app, 'losskit-loss-fixture-misnamed', registerAbs('fixture-other-name', 'losskit-loss-fixture-misnamed'));
    // Never to be imported: a loss name must not be able to reach it by any spelling.
    writePackage(app, 'fixture-evil', `throw new Error('fixture-evil must never be imported');`);
    writePackage(app, '@losskit/fixture-evil', `throw new Error('@losskit/fixture-evil must never be imported');`);

    registry.setLoader(createPluginLoader({ resolveFrom: app }));
  });

  after(() => {
    registry.setLoader(createPluginLoader());
    for (const name of fixtureLosses) registry.unregister(name);
    rmSync(app, { recursive: true, force: true });
  });

  it('imports @losskit/loss-<name> from the application for an unregistered name, then resolves', async () => {
    expect(registry.has('fixture-conv')).to.equal(false);
    const resolved = await registry.resolve('fixture-conv');
    expect(imports()).to.include('@losskit/loss-fixture-conv');
    expect(resolved.spec).to.deep.include({ name: 'fixture-conv', package: { name: '@losskit/loss-fixture-conv', version: '1.2.3' } });
    const yTrue = tf.tensor2d([[1, 2], [3, 4]]);
    const yPred = tf.tensor2d([[2, 2], [3, 8]]);
    const perSample = resolved.perSample(yTrue, yPred);
    // mean |p - t| per row, worked by hand: [0.5, 2]
    expect(Array.from(await perSample.data())).to.deep.equal([0.5, 2]);
    tf.dispose([yTrue, yPred, perSample]);
    resolved.dispose();
  });

  it('falls back to losskit-loss-<name>', async () => {
    await registry.resolve('fixture-unscoped');
    expect(imports()).to.include('losskit-loss-fixture-unscoped');
  });

  it('imports @scope/losskit-loss-<name> for a scoped name', async () => {
    const resolved = await registry.resolve({ name: '@acme/fixture-scoped' });
    expect(resolved.name).to.equal('@acme/fixture-scoped');
    expect(imports()).to.include('@acme/losskit-loss-fixture-scoped');
  });

  it('imports packages listed in `plugins` even outside the convention', async () => {
    await expectRejection(registry.resolve('fixture-explicit'), UnknownLossError);
    expect(imports()).not.to.include('acme-explicit-losses');
    const resolved = await registry.resolve('fixture-explicit', { plugins: ['acme-explicit-losses'] });
    expect(resolved.name).to.equal('fixture-explicit');
    expect(imports()).to.include('acme-explicit-losses');
  });

  it('imports listed `plugins` even when the name is registered already, so a listed override wins', async () => {
    expect(registry.get('poisson').builtin).to.equal(true, 'precondition: the catalog poisson answers');
    const resolved = await registry.resolve('poisson', { plugins: ['acme-poisson-override'] });
    expect(imports()).to.include('acme-poisson-override');
    expect(resolved.name).to.equal('fixture-override-owner');
    const yTrue = tf.tensor2d([[1, 2]]);
    const yPred = tf.tensor2d([[2, 4]]);
    const perSample = resolved.perSample(yTrue, yPred);
    // mean |p - t| worked by hand: (1 + 2) / 2
    expect(Array.from(await perSample.data())).to.deep.equal([1.5]);
    tf.dispose([yTrue, yPred, perSample]);
    resolved.dispose();
    registry.unregister('fixture-override-owner');
    expect(registry.get('poisson').builtin).to.equal(true, 'the catalog poisson answers again');
  });

  it('resolves every term of a sum spec through discovery', async () => {
    const resolved = await registry.resolve({ sum: ['fixture-sum-term', { name: 'mae', weight: 0.5 }] });
    expect(resolved.name).to.equal('fixture-sum-term+mean-absolute-error');
    expect(imports()).to.include('losskit-loss-fixture-sum-term');
  });

  it('does not pretend a name was found when its package registers nothing new', async () => {
    registry.unregister('fixture-conv');
    // The module is cached, so importing it again registers nothing.
    await expectRejection(registry.resolve('fixture-conv'), PluginLoadError, /registers no loss of that name/);
  });

  it('never imports anything for a name outside the convention, whatever its spelling', async () => {
    const evilFile = path.join(app, 'node_modules', 'fixture-evil', 'index.js');
    const spellings = [
      'fixture-evil',
      '../fixture-evil',
      './node_modules/fixture-evil',
      'node_modules/fixture-evil/index.js',
      evilFile,
      `file://${evilFile}`,
      'https://example.invalid/fixture-evil.js',
      '@losskit/fixture-evil',
      '@losskit/../fixture-evil',
      'FIXTURE-EVIL',
      'fixture-evil/index.js',
    ];
    for (const name of spellings) {
      await expectRejection(registry.resolve(name), UnknownLossError);
    }
    expect(imports().filter((name) => name.includes('evil'))).to.deep.equal([]);
  });

  it('refuses paths and URLs in `plugins` without importing them', async () => {
    const evilFile = path.join(app, 'node_modules', 'fixture-evil', 'index.js');
    for (const plugin of ['./node_modules/fixture-evil/index.js', evilFile, `file://${evilFile}`, 'fixture-evil/index.js', '../fixture-evil']) {
      await expectRejection(registry.resolve('fixture-none', { plugins: [plugin] }), PluginLoadError, /not a bare npm package name/);
    }
    expect(imports().filter((name) => name.includes('evil'))).to.deep.equal([]);
  });

  it('reports an uninstalled name as UnknownLossError naming the package to install', async () => {
    const error = await expectRejection(registry.resolve('fixture-not-installed'), UnknownLossError);
    expect(error.packageToInstall).to.equal('@losskit/loss-fixture-not-installed');
    expect(error.message).to.include('pnpm add @losskit/loss-fixture-not-installed');
    const scoped = await expectRejection(registry.resolve('@acme/not-installed'), UnknownLossError);
    expect(scoped.packageToInstall).to.equal('@acme/losskit-loss-not-installed');
  });

  it('surfaces a plugin built for another core API instead of "unknown loss"', async () => {
    const error = await expectRejection(registry.resolve('fixture-future'), VersionMismatchError);
    expect(error.message).to.include("'fixture-future'");
    expect(error.message).to.include('losskit-loss-fixture-future@1.2.3');
    expect(error.message).to.include('^2.0.0');
    expect(error.message).to.include(CORE_API_VERSION);
    expect(registry.has('fixture-future')).to.equal(false);
  });

  it('says so when a conventionally named package registers another name', async () => {
    const error = await expectRejection(registry.resolve('fixture-misnamed'), PluginLoadError);
    expect(error.message).to.include("'losskit-loss-fixture-misnamed'");
    expect(error.message).to.include('fixture-other-name');
  });

  it('loadPlugins preloads listed packages and refuses missing ones', async () => {
    const loaded = await loadPlugins(['acme-explicit-losses'], { resolveFrom: app });
    expect(loaded.map((plugin) => plugin.packageName)).to.deep.equal(['acme-explicit-losses']);
    await expectRejection(loadPlugins(['acme-not-installed'], { resolveFrom: app }), PluginLoadError, /not installed/);
  });

  it('resolves packages from the application, not from where core is installed', () => {
    expect(resolvePluginPackage('losskit-loss-fixture-unscoped', { resolveFrom: app })).to.be.a('string');
    // Core's own directory cannot see the application's plugins.
    expect(resolvePluginPackage('losskit-loss-fixture-unscoped', { resolveFrom: coreDir })).to.equal(undefined);
  });

  it('is wired into the registry by default, resolving from process.cwd()', async () => {
    // A separate process started in the application directory, importing core as an
    // application would, with nothing but a loss name.
    const script = [
      "import { getLossRegistry } from '@losskit/core';",
      "const resolved = await getLossRegistry().resolve('fixture-unscoped');",
      'console.log(JSON.stringify({ name: resolved.name, imports: globalThis.__losskitFixtureImports }));',
    ].join('\n');
    writeFileSync(path.join(app, 'main.mjs'), script);
    const { stdout } = await run(process.execPath, ['main.mjs'], { cwd: app });
    const result = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(result).to.deep.equal({ name: 'fixture-unscoped', imports: ['losskit-loss-fixture-unscoped'] });
  });
});

/**
 * Errors are matched by class name, not instanceof: under mocha, this file's static imports are
 * loaded through require(esm) while discovery's dynamic import() gives the plugin (and the core
 * it imports) a second module instance, with its own error classes.
 */
async function expectRejection(
  promise: Promise<unknown>,
  type: { readonly name: string },
  message?: RegExp,
): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(Error);
    expect((error as Error).name, (error as Error).message).to.equal(type.name);
    if (message) expect((error as Error).message).to.match(message);
    return error as Error & Record<string, unknown>;
  }
  expect.fail(`expected a ${type.name}`);
}
