// Trainer.fit vs model.fit in a real browser (Debian's headless Chromium, as the browser test
// drives it): the seed model, the same data and initial weights, on cpu, wasm, webgl and
// webgpu (both on SwiftShader). The page (examples/browser-training/src/trainer-page.js, `timeFits`) runs
// the contenders back to back in rounds, alternating the order, first round excluded as
// warm-up; the ratio is the median of the per-round throughput ratios (model.fit ms /
// Trainer.fit ms), so slow drifts of this shared machine cancel out. Both with their default
// yieldEvery (model.fit without callbacks never yields; the Trainer yields every 25 ms); a
// Trainer with yieldEvery 'never' is measured beside them to show what those turns cost.
// Target (issue 12): >= 0.95 on every backend.
// The page is bundled and served by test/browser's helpers (TypeScript, loaded through tsx).
import { tsImport } from 'tsx/esm/api';

const TARGET = 0.95;
// LOSSKIT_BENCH_BACKENDS=webgl measures one backend (comma-separated list).
const BACKENDS = (process.env.LOSSKIT_BENCH_BACKENDS ?? 'cpu,wasm,webgl,webgpu').split(',');
const REPS = Number(process.env.LOSSKIT_BENCH_REPS ?? 9);
const helper = (file) => tsImport(new URL(`../test/browser/${file}`, import.meta.url).href, import.meta.url);

const { chromiumMissingReason, launchChromium } = await helper('chromium.ts');
const missing = chromiumMissingReason();
if (missing) {
  console.log(JSON.stringify({ bench: 'browser-training', skipped: missing }));
} else {
  const { esbuildPage, exampleDirs, htmlPage, wasmBinaries } = await helper('chromium-page.ts');
  const { servePage } = await helper('serve.ts');
  const files = new Map([
    ...(await esbuildPage(exampleDirs.training, { 'trainer-page': 'src/trainer-page.js' })),
    ...wasmBinaries(exampleDirs.training),
    ['/', htmlPage('losskit: Trainer.fit vs model.fit', 'trainer-page', 'losskitPage')],
  ]);
  const server = await servePage(files);
  const browser = await launchChromium();
  try {
    for (const backend of BACKENDS) {
      // A fresh page per backend: nothing of one backend's run stays behind for the next.
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.waitForFunction("'losskitPage' in window");
      const result = await page.evaluate((options) => globalThis.losskitPage.timeFits(options), { backend, wasmPath: '/wasm/', reps: REPS });
      await page.close();
      console.log(
        JSON.stringify({
          bench: 'browser-training',
          case: 'seed',
          backend: result.backend,
          ratio: Number(result.ratio.toFixed(3)),
          target: TARGET,
          pass: result.ratio >= TARGET,
          ratio_of_medians: Number((result.modelFitMs / result.trainerMs).toFixed(3)),
          trainer_ms: Number(result.trainerMs.toFixed(1)),
          model_fit_ms: Number(result.modelFitMs.toFixed(1)),
          // The Trainer with yieldEvery 'never' (no event-loop turns, the page frozen as under model.fit):
          ratio_yield_never: Number(result.ratioYieldNever.toFixed(3)),
          trainer_yield_never_ms: Number(result.trainerYieldNeverMs.toFixed(1)),
          samples: result.samples,
          batch: result.batchSize,
          epochs: result.epochs,
          reps: result.reps,
        }),
      );
    }
  } finally {
    await browser.close();
    await server.close();
  }
}
