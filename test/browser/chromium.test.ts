import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { bundleForBrowser, repoRoot } from './bundle.js';
import { chromiumMissingReason, launchChromium } from './chromium.js';
import { esbuildPage, exampleDirs, htmlPage, retryOnLongTasks, vitePage, wasmBinaries } from './chromium-page.js';
import { servePage, type PageFiles } from './serve.js';

// The seed model trained in a real browser (Debian's headless Chromium) on every backend a
// page has without a GPU: the page is examples/browser-training, bundled with esbuild for the
// browser from the workspace packages and served from 127.0.0.1.

const exampleDir = exampleDirs.training;
const outputDir = path.join(repoRoot, 'out', 'browser-test');
const BACKENDS = ['cpu', 'wasm', 'webgl', 'webgpu'] as const;

interface TrainResult {
  backend: string;
  batchLosses: number[];
  secondRead: number[];
  timerTicks: number;
  longTasks: number[];
  fitMs: number;
  tensorsLeft: number;
}

async function pageFiles(): Promise<PageFiles> {
  const files: PageFiles = new Map([
    ...(await esbuildPage(exampleDir, { page: 'src/page.js', worker: 'src/worker.js' })),
    // The same page built by Vite (default browser resolution, no configuration).
    ...(await vitePage(exampleDir, { page: 'src/page.js' }, '/vite/')),
    ...wasmBinaries(exampleDir),
    ['/', htmlPage('losskit: seed model, loss "mse" by name', 'page', 'losskitPage')],
    ['/blank', { body: '<!doctype html><html><body></body></html>', type: 'text/html' }],
  ]);
  // The trainer's backend choice on its own.
  const backendPage = await bundleForBrowser(
    `export * as tf from '@tensorflow/tfjs';\nexport { selectBackend } from './dist/backend.js';`,
    path.join(repoRoot, 'packages/trainer'),
    'esm',
  );
  files.set('/backend.js', { body: backendPage.code, type: 'text/javascript' });
  return files;
}

describe('in a real browser (headless Chromium)', function () {
  this.timeout(180_000);
  let browser: Browser | undefined;
  let server: Awaited<ReturnType<typeof servePage>> | undefined;
  /** Each backend's per-epoch mean of the batch losses the main-thread run logged. */
  const mainThreadEpochLosses: Record<string, number[]> = {};

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

  it('trains the seed model with loss "mse" on cpu, wasm, webgl and webgpu: losses fall, equal a second read, the page stays responsive, the loss chart renders; the Vite build trains the same', async () => {
    const page = await browser!.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const requested: string[] = [];
    page.on('request', (request) => requested.push(new URL(request.url()).pathname));
    await page.goto(server!.url);
    await page.waitForFunction("'losskitPage' in window");
    // vega-embed (about 1.8 MB) is a chunk of its own, fetched only when the first chart is drawn.
    const isChartChunk = (file: string) => /^\/chunks\/vega-embed/.test(file);
    expect(requested.filter(isChartChunk), 'vega-embed fetched before any chart was drawn').to.deep.equal([]);
    let wasmLosses: number[] = [];

    for (const backend of BACKENDS) {
      const result = await page.evaluate(
        (backend) => (globalThis as unknown as { losskitPage: { trainSeedModel(o: object): Promise<unknown> } }).losskitPage.trainSeedModel({ backend, wasmPath: '/wasm/' }),
        backend,
      ) as TrainResult;
      const { batchLosses, secondRead } = result;
      if (backend === 'wasm') wasmLosses = batchLosses;
      mainThreadEpochLosses[backend] = [0, 1, 2, 3, 4].map((epoch) => batchLosses.slice(epoch * 16, epoch * 16 + 16).reduce((a, b) => a + b, 0) / 16);
      expect(result.backend, 'the backend asked for').to.equal(backend);
      expect(batchLosses.length, backend).to.equal(80); // 5 epochs of 16 batches (512 samples, the seed's batch of 32)
      expect(batchLosses.every((value) => Number.isFinite(value) && value > 0), `${backend}: ${batchLosses}`).to.equal(true);
      // Each epoch sees the same 16 batches (no shuffling): the last epoch's mean is below the first's.
      const epochMean = (epoch: number) => batchLosses.slice(epoch * 16, epoch * 16 + 16).reduce((a, b) => a + b, 0) / 16;
      expect(epochMean(4), `${backend}: last epoch vs first`).to.be.below(epochMean(0));
      for (let i = 0; i < batchLosses.length; i++) {
        expect(batchLosses[i]!, `${backend} logged vs second read, batch ${i}`).to.be.closeTo(secondRead[i]!, 1e-5 * Math.max(1, secondRead[i]!));
      }
      console.log(`      ${backend}: fit ${result.fitMs.toFixed(0)} ms, timer fired ${result.timerTicks} times, ${result.longTasks.length} main-thread tasks over 50 ms`);
      expect(result.timerTicks, `${backend}: a 10 ms timer fired during fit`).to.be.above(0);
      expect(result.tensorsLeft, `${backend}: tensors left after training`).to.equal(0);
      const means = [0, 1, 2, 3, 4].map(epochMean);
      const chart = (await page.evaluate(
        ([title, loss]) => (globalThis as unknown as { losskitPage: { drawLossChart(t: unknown, h: unknown): Promise<unknown> } }).losskitPage.drawLossChart(title, { loss }),
        [`${backend}: mean loss by epoch`, means] as const,
      )) as { lines: number; points: number; data: unknown[] };
      // One line with a point per epoch, drawn from the rows Node's plotHistory would plot.
      expect(chart.lines, `${backend}: chart lines`).to.equal(1);
      expect(chart.points, `${backend}: chart points`).to.equal(5);
      expect(chart.data).to.deep.equal(means.map((value, i) => ({ epoch: i + 1, value, series: 'loss' })));
    }
    // The same page built by Vite instead of esbuild (in its own tab: one bundle's copy of core
    // per page): the same seeded run gives the same losses.
    const viteTab = await browser!.newPage();
    viteTab.on('pageerror', (error) => pageErrors.push(error.message));
    await viteTab.goto(server!.url + 'blank');
    const viteResult = (await viteTab.evaluate(async () => {
      const vitePage = (await import('/vite/page.js' as string)) as { trainSeedModel(o: object): Promise<unknown> };
      return vitePage.trainSeedModel({ backend: 'wasm', wasmPath: '/wasm/' });
    })) as TrainResult;
    expect(viteResult.backend).to.equal('wasm');
    expect(viteResult.batchLosses).to.deep.equal(wasmLosses);
    expect(requested.filter(isChartChunk), 'vega-embed fetched once the charts were drawn').to.have.length(1);
    mkdirSync(outputDir, { recursive: true });
    const screenshot = path.join(outputDir, 'seed-model-backends.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`      screenshot of the loss charts: ${path.relative(repoRoot, screenshot)}`);
    expect(pageErrors).to.deep.equal([]);
  });

  it('trains the same run with Trainer.fit inside a dedicated Web Worker (cpu, wasm, webgl, webgpu): the same losses as model.fit on the main thread, the main thread stays free', async () => {
    const page = await browser!.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(server!.url);
    await page.waitForFunction("'losskitPage' in window");
    // The watch sees a long task when there is one: 80 ms of busy main thread.
    const busy = await page.evaluate(() => {
      const watch = (globalThis as unknown as { losskitPage: { watchResponsiveness(): { stop(): { longTasks: number[] } } } }).losskitPage.watchResponsiveness();
      return new Promise<number[]>((resolve) =>
        setTimeout(() => {
          const end = performance.now() + 80;
          while (performance.now() < end);
          setTimeout(() => resolve(watch.stop().longTasks), 50);
        }, 0),
      );
    });
    expect(busy.length, 'a busy 80 ms task seen as a long task').to.equal(1);
    expect(busy[0]).to.be.at.least(80);
    // webgl too (OffscreenCanvas): its shader compilation, a long task on a page's main thread, happens in the worker.
    for (const backend of BACKENDS) {
      type WorkerRun = { backend: string; loss: number[]; epochLosses: number[]; tensorsLeft: number; mainThread: { timerTicks: number; longTasks: number[] } };
      const train = async () => {
        const run = (await page.evaluate(
          (backend) => (globalThis as unknown as { losskitPage: { trainInWorker(o: object): Promise<unknown> } }).losskitPage.trainInWorker({ backend, wasmPath: '/wasm/' }),
          backend,
        )) as WorkerRun;
        return { ...run, longTasks: run.mainThread.longTasks };
      };
      const result = await retryOnLongTasks(`${backend} in a worker`, train);
      expect(result.backend).to.equal(backend);
      // Posted epoch by epoch as it trained, and the same as the history it ended with.
      expect(result.epochLosses).to.deep.equal(result.loss);
      // The same seeded run as model.fit's on the main thread: each epoch's loss is the mean of its 16 equal batches.
      const expected = mainThreadEpochLosses[backend]!;
      result.loss.forEach((value, epoch) => expect(value, `${backend} worker, epoch ${epoch + 1}`).to.be.closeTo(expected[epoch]!, 1e-6));
      expect(result.tensorsLeft, `${backend}: tensors left in the worker`).to.equal(0);
      console.log(`      ${backend} in a worker: main thread timer fired ${result.mainThread.timerTicks} times, long tasks ${JSON.stringify(result.mainThread.longTasks)}`);
      expect(result.mainThread.longTasks, `${backend}: main-thread tasks over 50 ms while the worker trained`).to.deep.equal([]);
      expect(result.mainThread.timerTicks).to.be.above(10);
    }
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
    // A bundle holds only the backends the page imported: the message says which import to add.
    expect(result.webgpu).to.match(/^Backend 'webgpu' \(forced by the backend option\) cannot be used: .*add `import '@tensorflow\/tfjs-backend-webgpu'`/);
    // No process.stderr in a page: the default logger writes to the console.
    expect(consoleLines).to.include('[losskit] backend: webgl (auto: kept the backend the application activated (tf.setBackend))');
  });
});
