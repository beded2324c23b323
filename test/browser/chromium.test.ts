import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { bundleForBrowser, repoRoot, viteBundle } from './bundle.js';
import { chromiumMissingReason, launchChromium } from './chromium.js';
import { servePage, type PageFiles } from './serve.js';

// The seed model trained in a real browser (Debian's headless Chromium) on every backend a
// page has without a GPU: the page is examples/browser-training, bundled with esbuild for the
// browser from the workspace packages and served from 127.0.0.1.

const exampleDir = path.join(repoRoot, 'examples/browser-training');
const outputDir = path.join(repoRoot, 'out', 'browser-test');
const BACKENDS = ['cpu', 'wasm', 'webgl'] as const;

interface TrainResult {
  backend: string;
  batchLosses: number[];
  secondRead: number[];
  timerTicks: number;
  fitMs: number;
  tensorsLeft: number;
}

async function pageFiles(): Promise<PageFiles> {
  const { code } = await bundleForBrowser(`export * from './src/page.js';`, exampleDir, 'esm');
  // The wasm backend fetches its binaries from the path the page gives (setWasmPaths).
  const wasmDir = path.dirname(createRequire(path.join(exampleDir, 'package.json')).resolve('@tensorflow/tfjs-backend-wasm'));
  const files: PageFiles = new Map([
    ['/page.js', { body: code, type: 'text/javascript' }],
    ['/blank', { body: '<!doctype html><html><body></body></html>', type: 'text/html' }],
    [
      '/',
      {
        type: 'text/html',
        body:
          '<!doctype html><html><head><meta charset="utf-8"><title>losskit in the browser</title></head>' +
          '<body><h1>losskit: seed model, loss "mse" by name</h1><script type="module">' +
          "import * as page from '/page.js'; window.losskitPage = page;</script></body></html>",
      },
    ],
  ]);
  // The same page built by Vite (default browser resolution, no configuration).
  files.set('/vite/page.js', { body: await viteBundle(exampleDir, 'src/page.js'), type: 'text/javascript' });
  // The trainer's backend choice on its own (the trainer's entry does not bundle for browsers yet).
  const backendPage = await bundleForBrowser(
    `export * as tf from '@tensorflow/tfjs';\nexport { selectBackend } from './dist/backend.js';`,
    path.join(repoRoot, 'packages/trainer'),
    'esm',
  );
  files.set('/backend.js', { body: backendPage.code, type: 'text/javascript' });
  for (const name of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
    files.set(`/wasm/${name}`, { body: readFileSync(path.join(wasmDir, name)), type: 'application/wasm' });
  }
  return files;
}

describe('in a real browser (headless Chromium)', function () {
  this.timeout(180_000);
  let browser: Browser | undefined;
  let server: Awaited<ReturnType<typeof servePage>> | undefined;

  before(async function () {
    const missing = chromiumMissingReason();
    if (missing) {
      console.log(`SKIPPED browser training test: ${missing}`);
      this.skip();
    }
    server = await servePage(await pageFiles());
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('trains the seed model with loss "mse" on cpu, wasm and webgl: losses fall, equal a second read, the page stays responsive; the Vite build trains the same', async () => {
    const page = await browser!.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(server!.url);
    await page.waitForFunction("'losskitPage' in window");
    let wasmLosses: number[] = [];

    for (const backend of BACKENDS) {
      const result = await page.evaluate(
        (backend) => (globalThis as unknown as { losskitPage: { trainSeedModel(o: object): Promise<unknown> } }).losskitPage.trainSeedModel({ backend, wasmPath: '/wasm/' }),
        backend,
      ) as TrainResult;
      const { batchLosses, secondRead } = result;
      if (backend === 'wasm') wasmLosses = batchLosses;
      expect(result.backend, 'the backend asked for').to.equal(backend);
      expect(batchLosses.length, backend).to.equal(80); // 5 epochs of 16 batches (512 samples, the seed's batch of 32)
      expect(batchLosses.every((value) => Number.isFinite(value) && value > 0), `${backend}: ${batchLosses}`).to.equal(true);
      // Each epoch sees the same 16 batches (no shuffling): the last epoch's mean is below the first's.
      const epochMean = (epoch: number) => batchLosses.slice(epoch * 16, epoch * 16 + 16).reduce((a, b) => a + b, 0) / 16;
      expect(epochMean(4), `${backend}: last epoch vs first`).to.be.below(epochMean(0));
      for (let i = 0; i < batchLosses.length; i++) {
        expect(batchLosses[i]!, `${backend} logged vs second read, batch ${i}`).to.be.closeTo(secondRead[i]!, 1e-5 * Math.max(1, secondRead[i]!));
      }
      console.log(`      ${backend}: fit ${result.fitMs.toFixed(0)} ms, timer fired ${result.timerTicks} times`);
      expect(result.timerTicks, `${backend}: a 10 ms timer fired during fit`).to.be.above(0);
      expect(result.tensorsLeft, `${backend}: tensors left after training`).to.equal(0);
      await page.evaluate(
        ([backend, losses]) => (globalThis as unknown as { losskitPage: { drawLosses(t: string, l: number[]): void } }).losskitPage.drawLosses(backend as string, losses as number[]),
        [`${backend}, mean loss by epoch`, [0, 1, 2, 3, 4].map(epochMean)] as const,
      );
    }
    // The same page built by Vite instead of esbuild (in its own tab: one bundle's copy of core
    // per page): the same seeded run gives the same losses.
    const vitePage = await browser!.newPage();
    vitePage.on('pageerror', (error) => pageErrors.push(error.message));
    await vitePage.goto(server!.url + 'blank');
    const viteResult = (await vitePage.evaluate(async () => {
      const vitePage = (await import('/vite/page.js' as string)) as { trainSeedModel(o: object): Promise<unknown> };
      return vitePage.trainSeedModel({ backend: 'wasm', wasmPath: '/wasm/' });
    })) as TrainResult;
    expect(viteResult.backend).to.equal('wasm');
    expect(viteResult.batchLosses).to.deep.equal(wasmLosses);
    mkdirSync(outputDir, { recursive: true });
    await page.screenshot({ path: path.join(outputDir, 'seed-model-backends.png'), fullPage: true });
    expect(pageErrors).to.deep.equal([]);
  });

  it("the trainer's backend choice keeps the webgl backend the page activated, and logs to the console", async () => {
    const page = await browser!.newPage();
    const consoleLines: string[] = [];
    page.on('console', (message) => consoleLines.push(message.text()));
    await page.goto(server!.url);
    const result = await page.evaluate(async () => {
      type BackendModule = {
        tf: { setBackend(name: string): Promise<boolean>; getBackend(): string };
        selectBackend(preferred?: string, options?: object): Promise<{ backend: string; reason: string }>;
      };
      const { tf, selectBackend } = (await import('/backend.js' as string)) as BackendModule;
      await tf.setBackend('webgl');
      const kept = await selectBackend();
      const webgpu = await selectBackend('webgpu').then(() => 'selected', (error: Error) => error.message);
      return { kept, active: tf.getBackend(), webgpu };
    });
    expect(result.kept).to.deep.equal({ backend: 'webgl', reason: 'auto: kept the backend the application activated (tf.setBackend)' });
    expect(result.active).to.equal('webgl');
    expect(result.webgpu).to.match(/^Backend 'webgpu' \(forced by the backend option\) cannot be used: @tensorflow\/tfjs-backend-webgpu is not installed/);
    // No process.stderr in a page: the default logger writes to the console.
    expect(consoleLines).to.include('[losskit] backend: webgl (auto: kept the backend the application activated (tf.setBackend))');
  });
});
