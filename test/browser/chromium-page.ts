import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { build as viteBuild, type Rolldown } from 'vite';
import { repoRoot } from './bundle.js';
import type { PageFiles } from './serve.js';

// The example pages as a browser application ships them: each entry bundled for the browser
// with code splitting (so what a page imports lazily, vega-embed for the chart, is a chunk of
// its own fetched only when used), the wasm backend's binaries beside them, one HTML page.
// Shared by test/browser/chromium*.test.ts and bench/browser-training.bench.mjs.

export const exampleDirs = {
  training: path.join(repoRoot, 'examples/browser-training'),
  worker: path.join(repoRoot, 'examples/browser-worker'),
};

/** Entry name (the file's name in the page, without `.js`) -> source file relative to `dir`. */
export type Entries = Record<string, string>;

/**
 * esbuild, as the examples' READMEs print it:
 * `esbuild <entries> --bundle --platform=browser --format=esm --splitting --outdir=out`.
 * Files are served under `prefix` (chunks under `prefix + 'chunks/'`).
 */
export async function esbuildPage(dir: string, entries: Entries, prefix = '/'): Promise<PageFiles> {
  const outdir = path.join(dir, 'out');
  const result = await esbuild.build({
    entryPoints: entries,
    absWorkingDir: dir,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    splitting: true,
    outdir,
    chunkNames: 'chunks/[name]-[hash]',
    write: false,
    logLevel: 'silent',
  });
  return new Map(result.outputFiles.map((file) => [prefix + path.relative(outdir, file.path).split(path.sep).join('/'), { body: file.text, type: 'text/javascript' }]));
}

/** Vite with no configuration file (library mode keeps the entries' exports), every chunk served under `prefix`. */
export async function vitePage(dir: string, entries: Entries, prefix: string): Promise<PageFiles> {
  const result = await viteBuild({
    root: dir,
    configFile: false,
    logLevel: 'silent',
    build: {
      write: false,
      minify: false,
      lib: { entry: Object.fromEntries(Object.entries(entries).map(([name, file]) => [name, path.join(dir, file)])), formats: ['es'] },
      rolldownOptions: { output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' } },
    },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[];
  const files: PageFiles = new Map();
  for (const chunk of outputs.flatMap((output) => output.output)) {
    if (chunk.type === 'chunk') files.set(prefix + chunk.fileName, { body: chunk.code, type: 'text/javascript' });
  }
  return files;
}

/** tfjs-backend-wasm fetches its binaries at run time from the path the page gives setWasmPaths: here '/wasm/'. */
export function wasmBinaries(dir: string): PageFiles {
  const wasmDir = path.dirname(createRequire(path.join(dir, 'package.json')).resolve('@tensorflow/tfjs-backend-wasm'));
  const files: PageFiles = new Map();
  for (const name of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) {
    files.set(`/wasm/${name}`, { body: readFileSync(path.join(wasmDir, name)), type: 'application/wasm' });
  }
  return files;
}

/** An HTML page that imports `/<module>.js` and puts its exports on `window[global]`. */
export function htmlPage(title: string, module: string, global: string): { body: string; type: string } {
  return {
    type: 'text/html',
    body:
      `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head>` +
      `<body><h1>${title}</h1><script type="module">` +
      `import * as page from '/${module}.js'; window.${global} = page;</script></body></html>`,
  };
}

/**
 * Runs `run` again while its result shows a main-thread task over 50 ms, at most `attempts`
 * runs in all, and returns the last result. The long-task check is wall-clock time: on a
 * machine shared with other jobs a task stretches past 50 ms while the browser is descheduled,
 * so one run with long tasks says little, and each retry is logged where CI shows it.
 */
export async function retryOnLongTasks<T extends { longTasks: number[] }>(label: string, run: () => Promise<T>, attempts = 3): Promise<T> {
  let result = await run();
  for (let attempt = 2; result.longTasks.length && attempt <= attempts; attempt++) {
    console.log(`      ${label}: long tasks ${JSON.stringify(result.longTasks)} in run ${attempt - 1}; running again`);
    result = await run();
  }
  return result;
}
