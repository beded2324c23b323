// What losskit adds to a minimal TF.js training page in a browser bundle: esbuild, platform
// browser, minified, then gzip (level 9), measured side by side in one run. Two figures per page:
// `addedGzipKB`, what the page loads before it trains in a code-split build (esbuild --splitting,
// as Vite builds by default: the entry and the chunks it imports statically, each gzipped as
// served; code behind a dynamic import that a cpu training run never calls, such as tf.io
// persistence, stays in chunks that are not fetched), and `singleFileAddedGzipKB`, the same page
// as one file (no splitting: every dynamic import inlined). The page trains the
// seed model once; the losskit variants resolve the loss 'mse' by name instead of passing
// tfjs's built-in. Target (issue 12): core + loss-mse + trainer add at most 75 KB gzip.
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const resolveDir = new URL('../examples/browser-training/', import.meta.url).pathname;
// The trainer page resolves from the trainer package itself ('@losskit/trainer' as its own
// name; the same single copy of tfjs, core and loss-mse as the other pages).
const trainerDir = new URL('../packages/trainer/', import.meta.url).pathname;
const TARGET_ADDED_KB = 75;

const MODEL = `
const model = tf.sequential();
model.add(tf.layers.dense({ units: 64, activation: 'relu', inputShape: [32] }));
model.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
const x = tf.randomUniform([256, 32]);
const y = tf.randomUniform([256, 10]);`;

const PAGES = {
  'tfjs only': `import * as tf from '@tensorflow/tfjs';${MODEL}
model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
await model.fit(x, y, { epochs: 1 });`,
  'core + loss-mse': `import * as tf from '@tensorflow/tfjs';
import '@losskit/loss-mse';
import { getLossRegistry } from '@losskit/core';${MODEL}
model.compile({ optimizer: 'adam', loss: (await getLossRegistry().resolve('mse')).asTfjsLoss() });
await model.fit(x, y, { epochs: 1 });`,
  'core + loss-mse + trainer': `import * as tf from '@tensorflow/tfjs';
import '@losskit/loss-mse';
import { Trainer } from '@losskit/trainer';${MODEL}
const trainer = new Trainer({ model, optimizer: 'adam', loss: 'mse', backend: 'cpu' });
await trainer.fit(x, y, { epochs: 1 });`,
};

/** Minified and gzipped size of one page bundle, in KB (1,000 bytes), or why it does not bundle. */
async function size(contents, from = resolveDir) {
  try {
    const result = await esbuild.build({
      stdin: { contents, resolveDir: from, loader: 'js' },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      minify: true,
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0].contents;
    return { minifiedKB: kb(code.length), gzipKB: kb(gzipSync(code, { level: 9 }).length), metafile: result.metafile };
  } catch (error) {
    return { error: error.errors?.[0]?.text ?? String(error) };
  }
}

const kb = (bytes) => Math.round(bytes / 100) / 10;

/**
 * The same page built with code splitting: gzip KB of the chunks loaded up front (the entry and
 * its static imports, transitively) and of the lazily loaded rest.
 */
async function splitSize(contents, from = resolveDir) {
  const result = await esbuild.build({
    stdin: { contents, resolveDir: from, loader: 'js', sourcefile: 'page.js' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    splitting: true,
    outdir: '/virtual-out',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const gzipBytes = new Map(result.outputFiles.map((file) => [file.path.replace(/^\/virtual-out\//, 'virtual-out/'), gzipSync(file.contents, { level: 9 }).length]));
  const outputs = result.metafile.outputs;
  const key = (name) => Object.keys(outputs).find((k) => k.endsWith(name.replace(/^.*virtual-out\//, '')));
  const entry = Object.keys(outputs).find((name) => outputs[name].entryPoint !== undefined && name.endsWith('.js'));
  const initial = new Set();
  const visit = (name) => {
    if (initial.has(name)) return;
    initial.add(name);
    for (const imported of outputs[name].imports) if (imported.kind === 'import-statement') visit(key(imported.path));
  };
  visit(entry);
  let initialBytes = 0;
  let lazyBytes = 0;
  for (const name of Object.keys(outputs).filter((n) => n.endsWith('.js'))) {
    const bytes = gzipBytes.get(name) ?? [...gzipBytes].find(([path]) => path.endsWith(name.replace(/^.*virtual-out\//, '')))?.[1] ?? 0;
    if (initial.has(name)) initialBytes += bytes;
    else lazyBytes += bytes;
  }
  return { initialGzipKB: kb(initialBytes), lazyGzipKB: kb(lazyBytes), chunks: initial.size };
}

/** The largest contributors (minified bytes in the output) that are not tfjs itself. */
function largestExtras(metafile) {
  const [output] = Object.values(metafile.outputs);
  const byPackage = new Map();
  for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
    if (/@tensorflow\+tfjs/.test(file) || file.includes('<stdin>')) continue;
    const name = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/)?.[1] ?? file.match(/packages\/([^/]+)/)?.[1] ?? file;
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  return Object.fromEntries([...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([name, bytes]) => [name, kb(bytes)]));
}

const baseline = await size(PAGES['tfjs only']);
const baselineSplit = await splitSize(PAGES['tfjs only']);
console.log(JSON.stringify({ bench: 'browser-bundle-size', case: 'tfjs only', minifiedKB: baseline.minifiedKB, gzipKB: baseline.gzipKB, splitInitialGzipKB: baselineSplit.initialGzipKB }));
for (const name of ['core + loss-mse', 'core + loss-mse + trainer']) {
  const from = name.includes('trainer') ? trainerDir : resolveDir;
  const page = await size(PAGES[name], from);
  if (page.error) {
    console.log(JSON.stringify({ bench: 'browser-bundle-size', case: name, error: page.error }));
    continue;
  }
  const split = await splitSize(PAGES[name], from);
  const addedGzipKB = kb((split.initialGzipKB - baselineSplit.initialGzipKB) * 1000);
  const singleFileAddedGzipKB = kb((page.gzipKB - baseline.gzipKB) * 1000);
  console.log(
    JSON.stringify({
      bench: 'browser-bundle-size',
      case: name,
      minifiedKB: page.minifiedKB,
      gzipKB: page.gzipKB,
      addedGzipKB,
      lazyChunksGzipKB: split.lazyGzipKB,
      singleFileAddedGzipKB,
      targetAddedGzipKB: TARGET_ADDED_KB,
      ratioToTarget: Math.round((addedGzipKB / TARGET_ADDED_KB) * 100) / 100,
      largestMinifiedKB: largestExtras(page.metafile),
    }),
  );
}
