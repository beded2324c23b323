import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import * as esbuild from 'esbuild';
import { build as viteBuild, type Rolldown } from 'vite';

// Bundling for the browser exactly as an application would: esbuild, platform 'browser' (so
// the "browser"/"default" export conditions, never "node"), no shims, aliases or externals.

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface BrowserBundle {
  code: string;
  /** Every file that went into the bundle (absolute paths). */
  inputs: string[];
  /** Files of this repository's packages that went into the bundle. */
  ownFiles: string[];
}

/** Bundles `contents` as an entry module whose bare imports resolve from `resolveDir` (`external`: left as imports). */
export async function bundleForBrowser(
  contents: string,
  resolveDir: string,
  format: 'iife' | 'esm' = 'iife',
  external: string[] = [],
): Promise<BrowserBundle> {
  const result = await esbuild.build({
    stdin: { contents, resolveDir, loader: 'js' },
    absWorkingDir: repoRoot,
    bundle: true,
    platform: 'browser',
    format,
    external,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs).map((file) => path.resolve(repoRoot, file));
  const ownFiles = inputs.filter((file) => file.startsWith(path.join(repoRoot, 'packages') + path.sep) && !file.includes(`${path.sep}node_modules${path.sep}`));
  return { code: result.outputFiles[0].text, inputs, ownFiles };
}

/** esbuild's error texts, for a failed build (the unresolved `node:fs` and the like). */
export function buildErrors(error: unknown): string[] {
  const errors = (error as { errors?: esbuild.Message[] }).errors;
  if (!errors) throw error;
  return errors.map((message) => `${message.location?.file ?? '?'}: ${message.text}`);
}

const FORBIDDEN_GLOBALS = ['process', 'Buffer', 'require', '__dirname', '__filename'];

/**
 * The Node-only globals a file refers to as code (not in strings or comments): esbuild's
 * `define` rewrites only real identifier references, so a marker in the output means one.
 */
export async function nodeGlobalsIn(file: string): Promise<string[]> {
  const define = Object.fromEntries(FORBIDDEN_GLOBALS.map((name) => [name, `__forbidden_global_${name}__`]));
  const { code } = await esbuild.transform(readFileSync(file, 'utf8'), { define, format: 'esm', loader: 'js' });
  return FORBIDDEN_GLOBALS.filter((name) => code.includes(`__forbidden_global_${name}__`));
}

/** Builds `entry` (relative to `root`) with Vite for the browser as one ES module; its code. */
export async function viteBundle(root: string, entry: string): Promise<string> {
  const result = await viteBuild({
    root,
    configFile: false,
    logLevel: 'silent',
    build: { write: false, minify: false, lib: { entry, formats: ['es'], fileName: 'page' } },
  });
  const outputs = (Array.isArray(result) ? result : [result]) as Rolldown.RolldownOutput[];
  const chunks = outputs.flatMap((output) => output.output).filter((chunk) => chunk.type === 'chunk');
  if (chunks.length !== 1) throw new Error(`Vite built ${chunks.length} chunks for ${entry}; expected one`);
  return chunks[0]!.code;
}

/**
 * Evaluates a bundle in a Web Worker's global as tfjs detects one (it registers its browser
 * platform there), where Node's globals do not exist, then awaits the `run()` it defines.
 */
export async function runInWorkerLikeGlobal<T>(code: string): Promise<T> {
  const context = vm.createContext({ console, setTimeout, clearTimeout, TextEncoder, TextDecoder, URL, queueMicrotask, performance, atob });
  vm.runInContext('self = globalThis; WorkerGlobalScope = class WorkerGlobalScope {};', context);
  // Browsers have structuredClone; Node's would return objects of another realm (whose arrays
  // fail tfjs's instanceof Array), so the context gets its own for the JSON it clones.
  vm.runInContext('structuredClone = (value) => JSON.parse(JSON.stringify(value));', context);
  for (const name of ['process', 'Buffer', 'require']) {
    if (vm.runInContext(`typeof ${name}`, context) !== 'undefined') throw new Error(`${name} leaked into the worker-like global`);
  }
  vm.runInContext(code, context);
  return (context.run as () => Promise<T>)();
}
