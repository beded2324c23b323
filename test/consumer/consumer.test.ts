import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { documentedInstallLines, runInstallLine } from './install-lines.js';
import { listTarball, packedTarballs, readFromTarball, run, userEnvironment, workspace, type PackedName } from './packed.js';
import { bundleForBrowser, runInWorkerLikeGlobal } from '../browser/bundle.js';

// Behaves like a user of the published packages: `pnpm pack` each package (run `pnpm build`
// first: `pnpm test` does), make a fresh project outside the workspace, install only core,
// trainer, loss-mse and the example plugin from the tarballs (their other dependencies come
// from the registry), and train by loss name: 'mse' found by discovery alone (its owner,
// @losskit/loss-mse, is never imported by the script), 'huber' from core's Keras 3 catalog
// (the installed example plugin overrides that name only once something imports it).
// Everything is made anew each run: tarballs, project, node_modules. Only npm's content-
// addressed download cache is shared, which cannot stand in for a missing step.

/** What the user installs; wasm-training comes along as the trainer's dependency (not published to a registry). */
const INSTALLED: PackedName[] = ['@losskit/core', '@losskit/trainer', '@losskit/loss-mse', 'losskit-loss-huber', '@losskit/wasm-training'];

const PEERS = ['@tensorflow/tfjs', 'tsyringe', 'reflect-metadata'] as const;

// The user's program: it imports core and the trainer only, and names its losses.
const TRAIN_SCRIPT = `
import * as tf from '@tensorflow/tfjs';
import { getLossRegistry } from '@losskit/core';
import { Trainer } from '@losskit/trainer';

const registry = getLossRegistry();
const before = { mse: registry.has('mse'), huber: registry.has('huber') };

// y = 2 x0 - 3 x1 + 0.5, from fixed inputs
const n = 64;
const xs = Array.from({ length: n }, (_, i) => [Math.sin(i), Math.cos(3 * i)]);
const x = tf.tensor2d(xs);
const y = tf.tensor2d(xs.map(([a, b]) => [2 * a - 3 * b + 0.5]));

const results = {};
for (const loss of ['mse', { name: 'huber', options: { delta: 0.5 } }]) {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1, kernelInitializer: 'zeros' })] });
  const trainer = new Trainer({ model, optimizer: tf.train.sgd(0.5), loss, verbose: false });
  const history = await trainer.fit(x, y, { epochs: 15, batchSize: 16, seed: 1 });
  results[typeof loss === 'string' ? loss : loss.name] = {
    loss: history.history.loss,
    spec: trainer.lossSpecs,
    backend: trainer.backend.backend,
  };
  trainer.dispose();
}
console.log(JSON.stringify({ before, after: { mse: registry.has('mse'), huber: registry.has('huber') }, results }));
`;

describe('consumer install from packed tarballs (like a user)', function () {
  // packing, a registry install and two short trainings; minutes on a cold npm cache
  this.timeout(15 * 60 * 1000);

  let tarballs: Record<PackedName, string>;
  let versions: Record<PackedName, string>;
  let project: string;

  before(async () => {
    const packed = await packedTarballs();
    project = path.join(packed.root, 'app');
    tarballs = packed.tarballs;
    versions = {} as Record<PackedName, string>;
    for (const [name, tarball] of Object.entries(tarballs) as [PackedName, string][]) {
      versions[name] = JSON.parse(await readFromTarball(tarball, 'package/package.json')).version;
    }
  });

  it('packs every package with workspace: and catalog: ranges rewritten to versions', async () => {
    for (const [name, tarball] of Object.entries(tarballs) as [PackedName, string][]) {
      const manifestText = await readFromTarball(tarball, 'package/package.json');
      expect(manifestText, name).not.to.match(/"(workspace|catalog):/);
      const manifest = JSON.parse(manifestText);
      expect(manifest.name).to.equal(name);
      const files = await listTarball(tarball);
      expect(files, `${name} ships its build`).to.include(`package/${manifest.main.replace(/^\.\//, '')}`);
      // require(esm) and the syntax the builds use need Node 20.19; every package says so.
      expect(manifest.engines, `${name} engines`).to.deep.equal({ node: '>=20.19' });
    }
    const huber = JSON.parse(await readFromTarball(tarballs['losskit-loss-huber'], 'package/package.json'));
    const core = JSON.parse(await readFromTarball(tarballs['@losskit/core'], 'package/package.json'));
    expect(huber.peerDependencies['@losskit/core']).to.equal(`^${core.version}`);
    for (const peer of PEERS) expect(huber.peerDependencies[peer], peer).to.match(/^\^?\d+\.\d+\.\d+$/);
    expect(huber.dependencies ?? {}).to.deep.equal({});
  });

  it('installs with the npm lines the READMEs print, into a fresh project outside the workspace, without loss-combined or its dependencies', async () => {
    expect(path.relative(workspace, project).startsWith('..'), 'the project is outside the workspace').to.equal(true);
    // The root README's line (trainer, core, loss-mse, peers), then the example plugin's, as a
    // user adds a plugin later. tfjs-node, an optional dependency of the trainer, runs an install
    // script that downloads libtensorflow; offline it fails, npm drops it and the install still
    // succeeds. Where it builds, it is used.
    const lines = documentedInstallLines(workspace).filter((line) => line.manager === 'npm');
    expect(lines.map((line) => line.where[0]!.split(':')[0])).to.have.members(['README.md', 'examples/losskit-loss-huber/README.md']);
    for (const line of lines.sort((a, b) => Number(b.words.includes('@losskit/trainer')) - Number(a.words.includes('@losskit/trainer')))) {
      await runInstallLine(line, project, tarballs);
    }
    const modules = path.join(project, 'node_modules');
    for (const name of INSTALLED) expect(existsSync(path.join(modules, name, 'package.json')), name).to.equal(true);
    expect(existsSync(path.join(modules, '@losskit', 'loss-combined')), 'loss-combined installed').to.equal(false);
    expect(existsSync(path.join(modules, 'nsfwjs')), 'nsfwjs installed').to.equal(false);
    expect(existsSync(path.join(modules, '@losskit', 'testkit')), 'testkit installed').to.equal(false);
    // One copy of core and of tfjs: plugins take them as peers.
    expect(findPackageCopies(modules, '@losskit/core')).to.have.length(1);
    expect(findPackageCopies(modules, '@tensorflow/tfjs-core')).to.have.length(1);
  });

  it("trains by name with 'mse', found by discovery, and with Keras's 'huber' from core", async () => {
    writeFileSync(path.join(project, 'train.mjs'), TRAIN_SCRIPT);
    expect(TRAIN_SCRIPT).not.to.match(/losskit-loss|loss-mse/);
    const { stdout } = await run(process.execPath, ['train.mjs'], { cwd: project, env: userEnvironment(), maxBuffer: 16 * 1024 * 1024 });
    const output = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(output.before).to.deep.equal({ mse: false, huber: true });
    expect(output.after).to.deep.equal({ mse: true, huber: true });

    const { mse, huber } = output.results;
    expect(mse.spec).to.deep.include({ name: 'mse', package: { name: '@losskit/loss-mse', version: packedVersion('@losskit/loss-mse') } });
    expect(huber.spec).to.deep.include({ name: 'huber', options: { delta: 0.5 } });
    expect(huber.spec.package, "core's catalog loss: no plugin package to install").to.equal(undefined);
    for (const [name, result] of Object.entries({ mse, huber }) as [string, { loss: number[] }][]) {
      expect(result.loss, name).to.have.length(15);
      expect(result.loss.every(Number.isFinite), name).to.equal(true);
      // A linear model on a linear target: training must cut the loss by far more than noise.
      expect(result.loss.at(-1)!, `${name}: ${result.loss.join(', ')}`).to.be.below(result.loss[0]! / 10);
    }
  });

  it('the installed core and loss-mse bundle for the browser (esbuild) and resolve mse there', async () => {
    // The page a browser user would build from these tarballs; evaluated without Node's globals.
    const bundle = await bundleForBrowser(
      `import * as tf from '@tensorflow/tfjs';
       import '@losskit/loss-mse';
       import { getLossRegistry, pluginDiscoveryMode } from '@losskit/core';
       globalThis.run = async () => {
         await tf.setBackend('cpu');
         const loss = await getLossRegistry().resolve('mse');
         const value = tf.tidy(() => loss.compute(tf.tensor2d([[0, 2]]), tf.tensor2d([[1, 0]])));
         return { value: Array.from(await value.data()), mode: pluginDiscoveryMode() };
       };`,
      project,
    );
    expect(bundle.inputs).to.include(path.join(project, 'node_modules/@losskit/core/dist/browser.js'));
    // Hand-computed: ((0 - 1)^2 + (2 - 0)^2) / 2.
    expect(await runInWorkerLikeGlobal(bundle.code)).to.deep.equal({ value: [2.5], mode: 'imports' });
  });

  function packedVersion(name: PackedName): string {
    return versions[name];
  }
});

/** Directories named like the package anywhere under node_modules (nested copies included). */
function findPackageCopies(modules: string, name: string): string[] {
  const found: string[] = [];
  const visit = (dir: string, depth: number) => {
    if (depth > 8 || !existsSync(dir)) return;
    if (existsSync(path.join(dir, ...name.split('/'), 'package.json'))) found.push(path.join(dir, name));
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const scopeOrPackage = path.join(dir, entry.name);
      const packages = entry.name.startsWith('@') ? readdirSync(scopeOrPackage).map((p) => path.join(scopeOrPackage, p)) : [scopeOrPackage];
      for (const pkg of packages) visit(path.join(pkg, 'node_modules'), depth + 1);
    }
  };
  visit(modules, 0);
  return found;
}
