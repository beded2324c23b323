import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { build as viteBuild, type Rolldown } from 'vite';
import { buildErrors, bundleForBrowser, nodeGlobalsIn, repoRoot, runInWorkerLikeGlobal } from './bundle.js';

// Every package a browser application imports bundles for the browser with no shims: no Node
// built-in on its import graph and no `process`/`Buffer`/`require` in its own code.
const BROWSER_PACKAGES = ['core', 'loss-mse', 'wasm-training', 'loss-combined', 'testkit'];

describe('browser bundles (esbuild, platform browser, no shims)', function () {
  this.timeout(60_000);

  for (const name of BROWSER_PACKAGES) {
    it(`@losskit/${name} bundles with no Node built-in, no Node global and no whole-zod import in its own code`, async () => {
      const packageDir = path.join(repoRoot, 'packages', name);
      let bundle;
      try {
        // TF.js itself is left out (its browser bundle is exercised by the tests below): faster.
        bundle = await bundleForBrowser(`import '@losskit/${name}';`, packageDir, 'esm', ['@tensorflow/*']);
      } catch (error) {
        expect.fail(`@losskit/${name} does not bundle for the browser:\n${buildErrors(error).join('\n')}`);
      }
      expect(bundle.ownFiles.some((file) => file.startsWith(packageDir + path.sep))).to.equal(true);
      // The browser entry of core, never its Node discovery.
      expect(bundle.ownFiles.map((file) => path.relative(repoRoot, file))).not.to.include('packages/core/dist/discovery.js');
      for (const file of bundle.ownFiles) {
        expect(await nodeGlobalsIn(file), path.relative(repoRoot, file)).to.deep.equal([]);
        // `import { z } from 'zod'` pulls zod's whole namespace object (455 KB minified) into
        // every page; `import * as z` lets bundlers drop what is never called (see
        // bench/browser-bundle-size.bench.mjs).
        expect(readFileSync(file, 'utf8'), `${path.relative(repoRoot, file)} imports zod's whole namespace`).not.to.match(
          /import\s*\{\s*z\s*\}\s*from\s*['"]zod['"]/,
        );
      }
    });
  }

  it("the trainer's backend choice and logger bundle with no Node built-in or global", async () => {
    const trainerDir = path.join(repoRoot, 'packages/trainer');
    const bundle = await bundleForBrowser(`import './dist/backend.js';`, trainerDir);
    const own = bundle.ownFiles.map((file) => path.relative(repoRoot, file));
    expect(own).to.include.members(['packages/trainer/dist/backend.js', 'packages/trainer/dist/logger.js']);
    for (const file of bundle.ownFiles) expect(await nodeGlobalsIn(file), path.relative(repoRoot, file)).to.deep.equal([]);
  });

  it('@losskit/trainer bundles with esbuild: its browser entry, the stand-ins for file-system persistence and the TTY bar, no Node built-in or global', async () => {
    const trainerDir = path.join(repoRoot, 'packages/trainer');
    let bundle;
    try {
      bundle = await bundleForBrowser(`export { Trainer, SaveBest, selectBackend } from '@losskit/trainer';`, trainerDir, 'esm', ['@tensorflow/*']);
    } catch (error) {
      expect.fail(`@losskit/trainer does not bundle for the browser:\n${buildErrors(error).join('\n')}`);
    }
    const own = bundle.ownFiles.map((file) => path.relative(repoRoot, file));
    expect(own).to.include.members([
      'packages/trainer/dist/browser.js',
      'packages/trainer/dist/trainer.js',
      'packages/trainer/dist/persistence/no-file-system.js',
      'packages/trainer/dist/progress/no-tty-bar.js',
    ]);
    for (const nodeOnly of ['index.js', 'persistence/node-persistence.js', 'persistence/fs-model-io.js', 'progress/tty-bar.js', 'plot/plot-history.js', 'callbacks/csv-logger.js']) {
      expect(own, nodeOnly).not.to.include(`packages/trainer/dist/${nodeOnly}`);
    }
    for (const file of bundle.ownFiles) expect(await nodeGlobalsIn(file), path.relative(repoRoot, file)).to.deep.equal([]);
    expect(nodeImportsIn(bundle.code)).to.deep.equal([]);
    expect(bundle.inputs.some((file) => /cli-progress|resvg|[\\/]vega/.test(file)), 'cli-progress, resvg or vega in the bundle').to.equal(false);
  });

  it('@losskit/trainer bundles with Vite (default browser resolution, no configuration): stand-ins, no Node-only module', async () => {
    const chunks = await viteChunks(`import * as tf from '@tensorflow/tfjs';\nimport { Trainer } from '@losskit/trainer';\nexport { tf, Trainer };\n`);
    const modules = chunks.flatMap((chunk) => Object.keys(chunk.modules)).map((id) => path.relative(repoRoot, id));
    // (Re-export-only modules such as the entry itself leave no code, so Vite does not list them.)
    expect(modules).to.include.members(['packages/trainer/dist/trainer.js', 'packages/trainer/dist/persistence/no-file-system.js', 'packages/trainer/dist/progress/no-tty-bar.js']);
    expect(modules.filter((id) => /^packages\/trainer\/dist\/(index|persistence\/(node-persistence|fs-model-io|durable-fs)|progress\/tty-bar|plot\/)/.test(id))).to.deep.equal([]);
    expect(modules.filter((id) => /cli-progress|resvg|[\\/]vega/.test(id))).to.deep.equal([]);
    for (const chunk of chunks) expect(nodeImportsIn(chunk.code), chunk.fileName).to.deep.equal([]);
  });

  it('the bundled Trainer fits, evaluates and predicts in a worker-like global (no process, Buffer or require); the default logger prints to the console', async () => {
    const { code, inputs } = await bundleForBrowser(
      `import * as tf from '@tensorflow/tfjs';
       import '@losskit/loss-mse';
       import { Trainer } from '@losskit/trainer';
       globalThis.run = async () => {
         await tf.setBackend('cpu');
         const lines = [];
         globalThis.console = { ...console, info: (line) => lines.push(line) };
         const model = tf.sequential();
         model.add(tf.layers.dense({ units: 4, activation: 'relu', inputShape: [3], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
         model.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
         const x = tf.randomUniform([64, 3], -1, 1, 'float32', 3);
         const y = tf.tidy(() => x.sum(1, true).mul(0.5));
         const trainer = new Trainer({ model, optimizer: tf.train.adam(0.05), loss: 'mse', backend: 'cpu' });
         const history = await trainer.fit(x, y, { epochs: 8, batchSize: 16, seed: 1 });
         const evaluated = await trainer.evaluate(x, y);
         const predicted = await trainer.predict(x);
         const predictedShape = predicted.shape;
         predicted.dispose();
         const saveToPath = await trainer.save('runs/model').then(() => '', (e) => e.message);
         const checkpoint = await trainer.fit(x, y, { epochs: 1, checkpoint: { dir: 'runs/ckpt' } }).then(() => '', (e) => e.message);
         trainer.dispose();
         // The page imported no wasm backend: forcing it says which imports to add; auto takes cpu.
         const wasm = await new Trainer({ model, optimizer: 'sgd', loss: 'mse', backend: 'wasm', verbose: 0 }).ready().then(() => '', (e) => e.message);
         const auto = new Trainer({ model, optimizer: 'sgd', loss: 'mse', logger: (line) => lines.push(line) });
         await auto.ready();
         auto.dispose();
         tf.dispose([x, y]);
         model.dispose();
         return { loss: history.history.loss, evaluated: evaluated.loss, predictedShape, lines, saveToPath, checkpoint, wasm };
       };`,
      path.join(repoRoot, 'packages/trainer'),
    );
    const result = await runInWorkerLikeGlobal<{ loss: number[]; evaluated: number; predictedShape: number[]; lines: string[]; saveToPath: string; checkpoint: string; wasm: string }>(code);
    // A cpu page holds no wasm backend: the trainer loads backends the page imported, nothing more.
    expect(inputs.filter((file) => /tfjs-backend-wasm|wasm-training/.test(file))).to.deep.equal([]);
    expect(result.loss).to.have.length(8);
    expect(result.loss[7]!).to.be.below(result.loss[0]! * 0.5);
    expect(result.evaluated).to.be.a('number').and.be.below(result.loss[0]!);
    expect(result.predictedShape).to.deep.equal([64, 1]);
    // verbose 1 without a terminal: the backend notice and one line per epoch, on the console.
    expect(result.lines[0]).to.equal('[losskit] backend: cpu (forced by the backend option)');
    expect(result.lines.filter((line) => /^Epoch \d+\/8 - 4 batches - loss /.test(line))).to.have.length(8);
    expect(result.saveToPath).to.include('save "runs/model": a directory path needs Node\'s file system');
    expect(result.saveToPath).to.include("'indexeddb://name'");
    expect(result.checkpoint).to.include('writes checkpoint directories, which needs Node');
    expect(result.wasm).to.include("cannot be used: @tensorflow/tfjs-backend-wasm is not installed in this page: add `import '@tensorflow/tfjs-backend-wasm'`");
    expect(result.lines.at(-1)).to.match(/^\[losskit\] backend: cpu \(auto fallback; tensorflow: @tensorflow\/tfjs-node runs only in Node; wasm: @tensorflow\/tfjs-backend-wasm is not installed in this page: add `import '@tensorflow\/tfjs-backend-wasm'`/);
  });

  it('the checks catch a Node-only module: core\'s Node discovery does not bundle', async () => {
    const discovery = path.join(repoRoot, 'packages/core/dist/discovery.js');
    const errors = await bundleForBrowser(`import ${JSON.stringify(discovery)};`, repoRoot).then(
      () => [],
      (error: unknown) => buildErrors(error),
    );
    expect(errors.join('\n')).to.match(/Could not resolve "node:module"/);
    expect(await nodeGlobalsIn(discovery)).to.include('process');
  });

  it('core + loss-mse run in a worker-like global with no process, Buffer or require', async () => {
    // The bundle an application would ship, evaluated where Node's globals do not exist: it
    // resolves 'mse' by name, computes it, and says how browser plugins are registered.
    const { code } = await bundleForBrowser(
      `import * as tf from '@tensorflow/tfjs';
       import '@losskit/loss-mse';
       import { getLossRegistry, getMetricRegistry, loadPlugins, pluginDiscoveryMode } from '@losskit/core';
       globalThis.run = async () => {
         await tf.setBackend('cpu');
         const loss = await getLossRegistry().resolve('mse');
         const value = tf.tidy(() => loss.compute(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[1, 1], [1, 1]])));
         const unknown = await (async () => { try { await getLossRegistry().resolve('mse-typo'); } catch (e) { return e.message; } })();
         const imported = await loadPlugins(['@losskit/loss-mse']);
         const notImported = await loadPlugins(['losskit-loss-huber']).then(() => '', (e) => e.message);
         // Core's own schemas are zod/mini, which installs no locale: core installs English.
         const badOptions = (() => { try { getLossRegistry().resolveSync({ name: 'huber', options: { delta: -1, detla: 2 } }); } catch (e) { return e.message; } })();
         const badMetric = (() => { try { getMetricRegistry().resolve({ name: 'auc', options: { curve: 'XY' } }); } catch (e) { return e.message; } })();
         return { value: Array.from(await value.data()), unknown, imported, notImported, mode: pluginDiscoveryMode(), badOptions, badMetric };
       };`,
      path.join(repoRoot, 'packages/loss-mse'),
    );
    // No classic zod on this page: core's schemas are zod/mini; classic zod (the public `z`)
    // loads only for plugins that build schemas with it (bench/browser-bundle-size.bench.mjs).
    // (zod names each schema class: classic's are 'ZodNumber' and so on, zod/mini's 'ZodMiniNumber'.)
    expect(code.match(/["']Zod(?!Mini)[A-Z]\w*["']/g) ?? [], "classic zod's schema classes in the bundle").to.deep.equal([]);
    expect(code).to.include('"ZodMiniObject"');
    const result = await runInWorkerLikeGlobal<Record<string, unknown>>(code);
    // Hand-computed: per-sample means of squares [0.5, 6.5], averaged over the batch.
    expect(result.value).to.deep.equal([3.5]);
    expect(result.mode).to.equal('imports');
    expect(result.unknown).to.match(/Unknown loss 'mse-typo'\. Did you mean 'mse'\?/);
    expect(result.unknown).to.include("In a browser, loss plugins are registered by importing them");
    expect(result.unknown).to.include("`import '@losskit/loss-mse-typo'`");
    expect(result.imported).to.deep.equal([{ packageName: '@losskit/loss-mse', file: '@losskit/loss-mse', registered: [] }]);
    expect(result.notImported).to.include("Loss plugin package 'losskit-loss-huber' has not been imported");
    expect(result.badOptions).to.include("Invalid options for loss 'huber'");
    expect(result.badOptions).to.include("option 'delta': Too small: expected number to be >0 (got -1)");
    expect(result.badOptions).to.include("option 'detla': unknown option; known options: delta; did you mean 'delta'? (got 2)");
    expect(result.badMetric).to.include(`option 'curve': Invalid option: expected one of "ROC"|"PR" (got "XY")`);
  });

  it('loss-combined in a worker-like global: MobileNetV2 decodes without Buffer, a file path says to use a URL', async () => {
    const { code } = await bundleForBrowser(
      `import * as tf from '@tensorflow/tfjs';
       import { loadFeatureExtractor } from '@losskit/loss-combined';
       globalThis.run = async () => {
         await tf.setBackend('cpu');
         const extractor = await loadFeatureExtractor({ model: 'mobilenet-v2' });
         const features = tf.tidy(() => extractor.extract(tf.zeros([1, 32, 32, 3]), ['block_1_expand_relu'])[0]);
         const shape = features.shape;
         features.dispose();
         const fromPath = await loadFeatureExtractor({ model: './vgg16/model.json' }).then(() => '', (e) => e.message);
         return { shape, fromPath };
       };`,
      path.join(repoRoot, 'packages/loss-combined'),
    );
    const result = await runInWorkerLikeGlobal<{ shape: number[]; fromPath: string }>(code);
    // block_1_expand_relu: stride-2 stem, 96 channels (MobileNetV2's architecture).
    expect(result.shape).to.deep.equal([1, 16, 16, 96]);
    expect(result.fromPath).to.include("extractor.model './vgg16/model.json' is a file path, but there is no file system here");
  });
});

/** `import ... from 'node:x'`, `import('node:x')` or `require('node:x')` left in bundled code (comments mentioning "tfjs-node:" are not). */
function nodeImportsIn(code: string): string[] {
  return [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["'](node:[\w/]+)["']/g)].map((m) => m[1]!);
}

/**
 * Builds `entry` with Vite as a browser library (no configuration) from a temporary directory
 * inside the trainer package, so '@losskit/trainer' resolves as the package's own name; every
 * chunk (Vite splits the dynamically imported stand-ins and backends into their own).
 */
async function viteChunks(entry: string): Promise<Rolldown.OutputChunk[]> {
  const dir = mkdtempSync(path.join(repoRoot, 'packages/trainer/.vite-bundle-test-'));
  try {
    writeFileSync(path.join(dir, 'page.js'), entry);
    const result = await viteBuild({ root: dir, configFile: false, logLevel: 'silent', build: { write: false, minify: false, lib: { entry: 'page.js', formats: ['es'], fileName: 'page' } } });
    const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[];
    return outputs.flatMap((output) => output.output).filter((chunk): chunk is Rolldown.OutputChunk => chunk.type === 'chunk');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
