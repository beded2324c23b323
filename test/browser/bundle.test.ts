import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
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
       import { getLossRegistry, loadPlugins, pluginDiscoveryMode } from '@losskit/core';
       globalThis.run = async () => {
         await tf.setBackend('cpu');
         const loss = await getLossRegistry().resolve('mse');
         const value = tf.tidy(() => loss.compute(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[1, 1], [1, 1]])));
         const unknown = await (async () => { try { await getLossRegistry().resolve('mse-typo'); } catch (e) { return e.message; } })();
         const imported = await loadPlugins(['@losskit/loss-mse']);
         const notImported = await loadPlugins(['losskit-loss-huber']).then(() => '', (e) => e.message);
         return { value: Array.from(await value.data()), unknown, imported, notImported, mode: pluginDiscoveryMode() };
       };`,
      path.join(repoRoot, 'packages/loss-mse'),
    );
    const result = await runInWorkerLikeGlobal<Record<string, unknown>>(code);
    // Hand-computed: per-sample means of squares [0.5, 6.5], averaged over the batch.
    expect(result.value).to.deep.equal([3.5]);
    expect(result.mode).to.equal('imports');
    expect(result.unknown).to.match(/Unknown loss 'mse-typo'\. Did you mean 'mse'\?/);
    expect(result.unknown).to.include("In a browser, loss plugins are registered by importing them");
    expect(result.unknown).to.include("`import '@losskit/loss-mse-typo'`");
    expect(result.imported).to.deep.equal([{ packageName: '@losskit/loss-mse', file: '@losskit/loss-mse', registered: [] }]);
    expect(result.notImported).to.include("Loss plugin package 'losskit-loss-huber' has not been imported");
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
