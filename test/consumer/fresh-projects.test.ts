import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { documentedInstallLines, installedNames, isInstalled, packedNamesIn, runInstallLine, type InstallLine } from './install-lines.js';
import { packedTarballs, run, userEnvironment, workspace, type Tarballs } from './packed.js';

// Each install line the READMEs print, run in its own fresh project outside the workspace
// (pnpm 12, npm, and yarn 1 from the npm registry when no yarn is installed); then, in the
// project of the root README's pnpm line, a CommonJS program that requires core and the
// trainer and trains with a plain-JavaScript plugin (no decorators, no TypeScript) that
// discovery finds by its package name.

const LINES = documentedInstallLines(workspace);
const YARN_VERSION = '1.22.22';

describe('fresh projects: documented install lines, a CommonJS consumer, a plain-JavaScript plugin', function () {
  // registry installs: seconds with warm caches, a few minutes on cold ones
  this.timeout(15 * 60 * 1000);
  let root: string;
  let tarballs: Tarballs;
  const projects = new Map<InstallLine, string>();
  let yarn: string | undefined;

  before(async () => {
    ({ root, tarballs } = await packedTarballs());
  });

  it('the docs print install lines for pnpm, npm and yarn, naming only packages that exist', () => {
    const managers = new Set(LINES.map((line) => line.manager));
    expect([...managers].sort()).to.deep.equal(['npm', 'pnpm', 'yarn']);
    for (const line of LINES) {
      const losskitLike = installedNames(line).filter((name) => /^(@losskit\/|losskit-)/.test(name));
      expect(losskitLike, line.text).to.deep.equal(packedNamesIn(line));
      expect(losskitLike, line.text).to.include('@losskit/core');
    }
  });

  // npm's lines run in consumer.test.ts, whose project then trains with them.
  let count = 0;
  for (const line of LINES.filter((l) => l.manager !== 'npm')) {
    it(`${line.manager}: \`${line.text}\` (${line.where.join(', ')}) exits 0 in a fresh project`, async () => {
      const project = path.join(root, `${line.manager}-${++count}`);
      const command = line.manager === 'yarn' ? (yarn ??= await yarnCommand(root)) : line.manager;
      const output = await runInstallLine(line, project, tarballs, command);
      expect(output).not.to.match(/ERR_PNPM/);
      for (const name of installedNames(line)) expect(isInstalled(project, name), `${name} installed by ${line.manager}`).to.equal(true);
      projects.set(line, project);
    });
  }

  it('a CommonJS program requires core and the trainer, and trains with a plain-JavaScript plugin found by discovery', async () => {
    const line = LINES.find((l) => l.manager === 'pnpm' && l.words.includes('@losskit/trainer') && l.where.some((w) => w.startsWith('README.md:')));
    const project = line && projects.get(line);
    expect(project, "the root README's pnpm line installed").to.be.a('string');
    const plugin = await packPlainPlugin(path.join(root, 'plain-js-plugin'));
    await run('pnpm', ['add', plugin], { cwd: project, env: userEnvironment(), maxBuffer: 64 * 1024 * 1024 });
    writeFileSync(path.join(project!, 'app.cjs'), COMMONJS_APP);
    const { stdout } = await run(process.execPath, ['app.cjs'], { cwd: project, env: userEnvironment(), maxBuffer: 16 * 1024 * 1024 });
    const out = JSON.parse(stdout.trim().split('\n').pop()!);

    expect(out.moduleSystem).to.equal('commonjs');
    expect(out.before).to.equal(false); // nothing imported the plugin: discovery did
    const logCosh = (e: number) => Math.log(Math.cosh(e));
    // per sample: scale 2 times the mean over the last axis
    const expected = [2 * ((logCosh(1) + logCosh(-1)) / 2), 2 * ((logCosh(3) + logCosh(0)) / 2)];
    out.perSample.forEach((value: number, i: number) => expect(value).to.be.closeTo(expected[i]!, 1e-5));
    // the trainer's term names no options: the saved spec has the schema's default filled in
    expect(out.spec).to.deep.include({ name: 'acme-log-cosh', options: { scale: 1 }, weight: 0.5, package: { name: PLUGIN_NAME, version: '1.0.0' } });
    expect(out.loss).to.have.length(20);
    expect(out.loss.every(Number.isFinite)).to.equal(true);
    expect(out.loss.at(-1), out.loss.join(', ')).to.be.below(out.loss[0] / 5);
  });
});

/** yarn on PATH, or yarn 1 installed from the npm registry into the test's temp directory. */
async function yarnCommand(root: string): Promise<string> {
  try {
    await run('yarn', ['--version'], { env: userEnvironment() });
    return 'yarn';
  } catch {
    const prefix = path.join(root, 'yarn-tool');
    await run('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel', 'error', `yarn@${YARN_VERSION}`], { env: userEnvironment() });
    return path.join(prefix, 'node_modules', '.bin', 'yarn');
  }
}

const PLUGIN_NAME = 'losskit-loss-acme-log-cosh';

/** A plugin package in plain JavaScript, as the guide describes it, packed with npm. */
async function packPlainPlugin(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const manifest = {
    name: PLUGIN_NAME,
    version: '1.0.0',
    type: 'module',
    engines: { node: '>=20.19' },
    exports: { '.': { default: './index.js' } },
    sideEffects: true,
    peerDependencies: { '@losskit/core': '^0.1.0', '@tensorflow/tfjs': '^4.22.0', tsyringe: '^4.10.0', 'reflect-metadata': '^0.2.2' },
  };
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  writeFileSync(path.join(dir, 'index.js'), PLUGIN_SOURCE);
  const { stdout } = await run('npm', ['pack', '--pack-destination', dir, '--loglevel', 'error'], { cwd: dir, env: userEnvironment() });
  return path.join(dir, stdout.trim().split('\n').pop()!);
}

const PLUGIN_SOURCE = `import * as tf from '@tensorflow/tfjs';
import { LOSS_OPTIONS, registerLossClass, z } from '@losskit/core';

export class LogCosh {
  constructor(options) {
    this.scale = options.scale;
  }
  compute(yTrue, yPred) {
    const error = tf.sub(yPred, yTrue);
    const logCosh = tf.sub(tf.add(error, tf.softplus(tf.mul(-2, error))), Math.log(2));
    return tf.mul(tf.mean(logCosh, -1), this.scale);
  }
}

registerLossClass(LogCosh, {
  name: 'acme-log-cosh',
  description: 'log(cosh(y_pred - y_true)), averaged over the last axis',
  options: z.object({ scale: z.number().positive().default(1) }),
  coreApi: '^1.0.0',
  package: { name: '${PLUGIN_NAME}', version: '1.0.0' },
  inject: [LOSS_OPTIONS],
});
`;

const COMMONJS_APP = `const tf = require('@tensorflow/tfjs');
const { getLossRegistry } = require('@losskit/core');
const { Trainer } = require('@losskit/trainer');
require('@losskit/loss-mse');

async function main() {
  const registry = getLossRegistry();
  const before = registry.has('acme-log-cosh');
  const loss = await registry.resolveAsync({ name: 'acme-log-cosh', options: { scale: 2 } });
  const perSample = Array.from(loss.perSample(tf.tensor2d([[0, 0], [0, 0]]), tf.tensor2d([[1, -1], [3, 0]])).dataSync());

  const xs = Array.from({ length: 64 }, (_, i) => [Math.sin(i), Math.cos(3 * i)]);
  const x = tf.tensor2d(xs);
  const y = tf.tensor2d(xs.map(([a, b]) => [2 * a - 3 * b + 0.5]));
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1, kernelInitializer: 'zeros' })] });
  const trainer = new Trainer({ model, optimizer: tf.train.sgd(0.3), loss: { sum: ['mse', { name: 'acme-log-cosh', weight: 0.5 }] }, verbose: false });
  const { history } = await trainer.fit(x, y, { epochs: 20, batchSize: 16, seed: 1 });
  const spec = trainer.lossSpecs.sum.find((term) => term.name === 'acme-log-cosh');
  console.log(JSON.stringify({ moduleSystem: typeof module === 'object' && typeof require === 'function' ? 'commonjs' : 'esm', before, perSample, spec, loss: history.loss }));
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
`;
