import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { repoRoot } from './bundle.js';
import { chromiumMissingReason, launchChromium } from './chromium.js';
import { esbuildPage, exampleDirs, htmlPage, retryOnLongTasks, vitePage, wasmBinaries } from './chromium-page.js';
import { packedApp, type PackedApp } from './chromium-packed.js';
import { servePage, type PageFiles } from './serve.js';

// The losskit Trainer in a real browser (Debian's headless Chromium): the page
// examples/browser-training/src/trainer-page.js, in an application that installed losskit from
// its packed tarballs, bundled with esbuild (and Vite) for the browser, trains the seed model
// with `Trainer.fit` and the loss 'mse' by name on cpu, wasm and webgl.

const outputDir = path.join(repoRoot, 'out', 'browser-test');
const BACKENDS = ['cpu', 'wasm', 'webgl', 'webgpu'] as const;
const EPOCHS = 5;
const BATCHES = 16; // 512 samples in batches of 32 (the seed's batch size)

interface FitResult {
  backend: string;
  trainerBackend: string;
  fitMs: number;
  history: { loss: number[] };
  batchLosses: number[];
  secondRead: number[];
  timerTicks: number;
  longTasks: number[];
  tensorsLeft: number;
}

type TrainerPage = {
  fitSeedModel(options: object): Promise<FitResult>;
  drawLossChart(title: string, history: object): Promise<{ lines: number; points: number; data: unknown[] }>;
};

describe('the Trainer in a real browser (headless Chromium)', function () {
  this.timeout(180_000);
  let browser: Browser | undefined;
  let server: Awaited<ReturnType<typeof servePage>> | undefined;
  let app: PackedApp | undefined;
  let bundledPaths: string[] = [];
  let page: Page;
  const pageErrors: string[] = [];
  /** The wasm run's logged batch losses, for the Vite build to match. */
  let wasmBatchLosses: number[] = [];

  before(async function () {
    const missing = chromiumMissingReason();
    if (missing) {
      console.log(`SKIPPED browser Trainer test: ${missing}`);
      this.skip();
    }
    app = packedApp(exampleDirs.training);
    const files: PageFiles = new Map([
        ...(await esbuildPage(app.dir, { 'trainer-page': 'src/trainer-page.js', 'plugins-page': 'src/plugins-page.js' })),
        // The same page built by Vite (no configuration), served under /vite/.
        ...(await vitePage(app.dir, { 'trainer-page': 'src/trainer-page.js' }, '/vite/')),
        ...wasmBinaries(app.dir),
        ['/', htmlPage('losskit: Trainer.fit, loss "mse" by name', 'trainer-page', 'losskitPage')],
        ['/plugins', htmlPage('losskit: loss plugins in a page', 'plugins-page', 'losskitPlugins')],
        ['/blank', { body: '<!doctype html><html><body></body></html>', type: 'text/html' }],
    ]);
    // esbuild marks each module's code with its path: the packed copies, never the workspace's.
    bundledPaths = [...files.values()].flatMap(({ body }) => [...String(body).matchAll(/^\/\/ (\S+\.js)$/gm)].map((match) => match[1]!));
    server = await servePage(files);
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(server.url);
    await page.waitForFunction("'losskitPage' in window");
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    app?.remove();
  });

  it('bundles losskit from its packed tarballs, not from the workspace', () => {
    const losskit = bundledPaths.filter((file) => /@losskit\/|losskit-loss-huber/.test(file));
    for (const name of ['core', 'loss-mse', 'trainer', 'wasm-training', 'loss-ssim', 'loss-image']) {
      expect(losskit.some((file) => file.startsWith(`node_modules/@losskit/${name}/dist/`)), `@losskit/${name} from the packed install`).to.equal(true);
    }
    expect(bundledPaths.filter((file) => file.includes('packages/')), 'files of the workspace packages').to.deep.equal([]);
  });

  for (const backend of BACKENDS) {
    it(`${backend}: Trainer.fit trains the seed model by name; losses fall and equal a second read; no main-thread task over 50 ms; the loss chart renders`, async () => {
      // First the checked run: every logged batch loss against a second read. It also warms the
      // backend up: its first steps compile its kernels (webgl: its shader programs, 0.25-0.6 s
      // under SwiftShader, in tasks no training loop can split, model.fit's included) and the
      // JavaScript engine optimises the cpu kernels (before that, one cpu batch can take 40-50 ms).
      const run = (secondRead: boolean) =>
        page.evaluate(
          ([backend, secondRead]) => (globalThis as unknown as { losskitPage: TrainerPage }).losskitPage.fitSeedModel({ backend, wasmPath: '/wasm/', epochs: 5, secondRead }),
          [backend, secondRead] as const,
        );
      const result = await run(true);
      const { batchLosses, secondRead } = result;
      if (backend === 'wasm') wasmBatchLosses = batchLosses;
      expect([result.backend, result.trainerBackend], 'tf.getBackend() and the trainer\'s choice').to.deep.equal([backend, backend]);
      expect(batchLosses.length).to.equal(EPOCHS * BATCHES);
      expect(batchLosses.every((value) => Number.isFinite(value) && value > 0), `${backend}: ${batchLosses}`).to.equal(true);
      for (let i = 0; i < batchLosses.length; i++) {
        expect(batchLosses[i]!, `${backend}: logged vs second read, batch ${i}`).to.be.closeTo(secondRead[i]!, 1e-5 * Math.max(1, secondRead[i]!));
      }
      // No shuffling, 16 equal batches: each epoch's logged loss is the mean of its batch losses.
      const epochMeans = Array.from({ length: EPOCHS }, (_, e) => batchLosses.slice(e * BATCHES, (e + 1) * BATCHES).reduce((a, b) => a + b, 0) / BATCHES);
      result.history.loss.forEach((value, e) => expect(value, `${backend}: history.loss[${e}]`).to.be.closeTo(epochMeans[e]!, 1e-6));
      expect(result.history.loss[EPOCHS - 1], `${backend}: last epoch vs first`).to.be.below(result.history.loss[0]!);
      expect(result.tensorsLeft, `${backend}: tensors left after training`).to.equal(0);

      // Then the watched run: the same seeded run with no callback, as a page that only wants
      // the history (the same one).
      const watched = await retryOnLongTasks(backend, () => run(false));
      console.log(`      ${backend}: fit ${watched.fitMs.toFixed(0)} ms, timer fired ${watched.timerTicks} times, long tasks ${JSON.stringify(watched.longTasks)}`);
      expect(watched.history.loss, `${backend}: the same run's history`).to.deep.equal(result.history.loss);
      expect(watched.longTasks, `${backend}: main-thread tasks over 50 ms during fit`).to.deep.equal([]);
      expect(watched.timerTicks, `${backend}: a 10 ms timer fired during fit`).to.be.above(0);
      expect(watched.tensorsLeft, `${backend}: tensors left after training`).to.equal(0);

      const chart = await page.evaluate(([title, history]) => (globalThis as unknown as { losskitPage: TrainerPage }).losskitPage.drawLossChart(title, history), [`Trainer.fit on ${backend}`, result.history] as const);
      expect([chart.lines, chart.points], `${backend}: chart lines and points`).to.deep.equal([1, EPOCHS]);
      expect(chart.data).to.deep.equal(result.history.loss.map((value, e) => ({ epoch: e + 1, value, series: 'loss' })));
    });
  }

  it('the same page built by Vite trains the same run on wasm: the same batch losses', async () => {
    const viteTab = await browser!.newPage();
    viteTab.on('pageerror', (error) => pageErrors.push(error.message));
    await viteTab.goto(server!.url + 'blank'); // its own tab: one bundle's copy of core per page
    const result = (await viteTab.evaluate(async () => {
      const vitePage = (await import('/vite/trainer-page.js' as string)) as TrainerPage;
      return vitePage.fitSeedModel({ backend: 'wasm', wasmPath: '/wasm/', epochs: 5 });
    })) as FitResult;
    expect(result.trainerBackend).to.equal('wasm');
    expect(wasmBatchLosses.length).to.equal(EPOCHS * BATCHES);
    expect(result.batchLosses).to.deep.equal(wasmBatchLosses);
    await viteTab.close();
  });

  it('saves the trainer to IndexedDB and loads it back: same predictions, loss re-resolved by name, same next epoch (cpu, webgl, webgpu)', async () => {
    type SaveLoad = {
      stored: string[];
      storedAfterRemoval: string[];
      lossSpecs: unknown[];
      epochsCompleted: number;
      predictionDifference: number;
      evaluated: number[];
      nextEpoch: number[];
      tensorsLeft: number;
    };
    for (const backend of ['cpu', 'webgl', 'webgpu'] as const) {
      const result = (await page.evaluate(
        (backend) => (globalThis as unknown as { losskitPage: { saveAndLoadIndexedDB(o: object): Promise<unknown> } }).losskitPage.saveAndLoadIndexedDB({ backend, wasmPath: '/wasm/' }),
        backend,
      )) as SaveLoad;
      expect(result.stored, `${backend}: tf.io.listModels() after the save`).to.include('indexeddb://losskit-seed-model');
      expect(result.storedAfterRemoval).not.to.include('indexeddb://losskit-seed-model');
      const [saved, restored] = result.lossSpecs;
      expect(restored, `${backend}: the loss spec the load resolved`).to.deep.equal(saved);
      expect(JSON.stringify(restored)).to.include('"mse"');
      expect(result.epochsCompleted).to.equal(2);
      expect(result.predictionDifference, `${backend}: largest prediction difference`).to.equal(0);
      expect(result.evaluated[1], `${backend}: evaluated loss after loading`).to.equal(result.evaluated[0]);
      // One more epoch on each from the same weights and optimizer state: the same loss.
      expect(result.nextEpoch[1], `${backend}: next epoch's loss`).to.be.closeTo(result.nextEpoch[0]!, 1e-6);
      expect(result.tensorsLeft, `${backend}: tensors left`).to.equal(0);
    }
  });

  it("nanPolicy 'skip-batch' on every backend: a NaN batch leaves what leaving it out of the data leaves (webgl and webgpu undo it after reading a window)", async () => {
    type Skip = { backend: string; skipped: number[]; reference: number[]; largestWeightDifference: number; tensorsLeft: number };
    for (const backend of BACKENDS) {
      const result = (await page.evaluate(
        (backend) => (globalThis as unknown as { losskitPage: { skipNaNBatch(o: object): Promise<unknown> } }).losskitPage.skipNaNBatch({ backend, wasmPath: '/wasm/' }),
        backend,
      )) as Skip;
      expect(result.backend).to.equal(backend);
      expect(result.skipped.every(Number.isFinite), `${backend}: ${result.skipped}`).to.equal(true);
      expect(result.skipped, `${backend}: history with the NaN batch skipped vs without it`).to.deep.equal(result.reference);
      expect(result.largestWeightDifference, `${backend}: largest weight difference`).to.equal(0);
      expect(result.tensorsLeft, `${backend}: tensors left`).to.equal(0);
    }
  });

  it('ssim, ms-ssim-l1, total-variation, charbonnier and the third-party huber resolve by name in a page and compute what tfjs cpu computes in Node', async () => {
    type Computed = { backend: string; huberPackage: string; results: Record<string, { perSample: number[]; gradientAbsSum: number }> };
    // The reference: the same module in a Node process of its own (importing huber replaces
    // core's catalog 'huber', which this test process must keep), on tfjs's cpu backend.
    const script = `const page = await import(${JSON.stringify(pathToFileURL(path.join(exampleDirs.training, 'src/plugins-page.js')).href)});
      console.log(JSON.stringify(await page.computeLosses({ backend: 'cpu' })));`;
    const reference = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n').at(-1)!) as Computed;
    const pluginsTab = await browser!.newPage();
    pluginsTab.on('pageerror', (error) => pageErrors.push(error.message));
    await pluginsTab.goto(server!.url + 'plugins');
    await pluginsTab.waitForFunction("'losskitPlugins' in window");
    for (const backend of BACKENDS) {
      const started = Date.now();
      const computed = (await pluginsTab.evaluate(
        (backend) => (globalThis as unknown as { losskitPlugins: { computeLosses(o: object): Promise<unknown> } }).losskitPlugins.computeLosses({ backend, wasmPath: '/wasm/' }),
        backend,
      )) as Computed;
      let worst = 0;
      for (const [name, { perSample }] of Object.entries(computed.results)) {
        perSample.forEach((value, i) => (worst = Math.max(worst, Math.abs(value - reference.results[name]!.perSample[i]!) / Math.max(1, Math.abs(value)))));
      }
      console.log(`      ${backend}: ${Date.now() - started} ms, largest difference to Node's cpu ${worst.toExponential(1)}`);
      expect(computed.backend).to.equal(backend);
      expect(computed.huberPackage, "the plugin that computed 'huber'").to.equal('losskit-loss-huber');
      expect(Object.keys(computed.results)).to.deep.equal(['ssim', 'ms-ssim-l1', 'total-variation', 'charbonnier', 'huber']);
      const tolerance = 1e-5;
      for (const [name, { perSample, gradientAbsSum }] of Object.entries(computed.results)) {
        const expected = reference.results[name]!;
        expect(perSample.length, `${name} on ${backend}: per-sample values`).to.equal(expected.perSample.length).and.to.be.at.least(2);
        perSample.forEach((value, i) => expect(value, `${name} on ${backend}, sample ${i}`).to.be.closeTo(expected.perSample[i]!, tolerance * Math.max(1, Math.abs(expected.perSample[i]!))));
        expect(gradientAbsSum, `${name} on ${backend}: gradient`).to.be.closeTo(expected.gradientAbsSum, tolerance * Math.max(1, expected.gradientAbsSum));
        expect(expected.gradientAbsSum, `${name}: a non-zero gradient`).to.be.above(0);
      }
    }
    await pluginsTab.close();
  });

  it('leaves a screenshot of the loss charts, with no page error', async () => {
    mkdirSync(outputDir, { recursive: true });
    const screenshot = path.join(outputDir, 'trainer-fit-backends.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`      screenshot of the loss charts: ${path.relative(repoRoot, screenshot)}`);
    expect(pageErrors).to.deep.equal([]);
  });
});
