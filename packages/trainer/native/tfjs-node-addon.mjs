// @ts-check
// Links an installed @tensorflow/tfjs-node package against a local TensorFlow and gives it its
// native addon. What it writes inside the package: deps/ (symlinks to the TensorFlow libraries
// and headers, plus a marker file saying losskit-native made them) and the addon file
// lib/napi-v<N>/tfjs_binding.node. The addon is compiled with node-gyp in a scratch copy of the
// package's binding sources inside the cache, and kept there: later runs (another checkout, a
// reinstall) copy it instead of compiling again.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { output } from './tensorflow-source.mjs';

export const TESTED_TFJS_NODE = '4.22.0';
const MARKER = 'losskit-native.json';

/**
 * tfjs-node's install script downloads libtensorflow 2.9.1 into deps/lib under these names and
 * skips its download where deps/lib/libtensorflow.so.2.9.1 exists; the addon links
 * -ltensorflow -ltensorflow_framework and, since libtensorflow_cc's own name (SONAME) is
 * libtensorflow_cc.so.2, loads that name at run time. All name the same two files.
 */
const LIB_LINKS = {
  'libtensorflow.so': 'libtensorflow_cc.so.2',
  'libtensorflow.so.2': 'libtensorflow_cc.so.2',
  'libtensorflow.so.2.9.1': 'libtensorflow_cc.so.2',
  'libtensorflow_cc.so.2': 'libtensorflow_cc.so.2',
  'libtensorflow_framework.so': 'libtensorflow_framework.so.2',
  'libtensorflow_framework.so.2': 'libtensorflow_framework.so.2',
};

/** The tfjs-node package @losskit/trainer resolves (its optional dependency), or undefined. */
export function findTfjsNode(fromDir) {
  const require = createRequire(path.join(fromDir, 'package.json'));
  let manifest;
  try {
    manifest = require.resolve('@tensorflow/tfjs-node/package.json');
  } catch {
    return undefined;
  }
  const dir = path.dirname(manifest);
  const { version } = JSON.parse(readFileSync(manifest, 'utf8'));
  const requireFromPackage = createRequire(manifest);
  /** @type {string} where tfjs-node's index.js looks for the addon (node-pre-gyp's module_path) */
  const bindingPath = requireFromPackage('@mapbox/node-pre-gyp').find(manifest);
  const napi = path.basename(path.dirname(bindingPath)).replace(/^napi-v/, '');
  return { dir, version, bindingPath, napi };
}

/** What losskit-native recorded in deps/ the last time, or undefined when deps/ is not its own. */
export function readMarker(tfjsNodeDir) {
  const file = path.join(tfjsNodeDir, 'deps', MARKER);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
}

/**
 * Why losskit-native must not write into this tfjs-node, or undefined. It replaces only what it
 * made itself: a deps/ folder or an addon from tfjs-node's own install is left alone.
 */
export function foreignFiles(tfjsNode) {
  if (readMarker(tfjsNode.dir)) return undefined;
  const found = [path.join(tfjsNode.dir, 'deps'), tfjsNode.bindingPath].filter((file) => existsSync(file));
  return found.length ? found : undefined;
}

/** Points deps/lib and deps/include at `source` (symlinks) and writes the marker. */
export function linkTensorFlow(tfjsNodeDir, source) {
  const deps = path.join(tfjsNodeDir, 'deps');
  rmSync(deps, { recursive: true, force: true }); // only reached when deps/ is ours (foreignFiles)
  mkdirSync(path.join(deps, 'lib'), { recursive: true });
  for (const [name, target] of Object.entries(LIB_LINKS)) symlinkSync(path.join(source.libDir, target), path.join(deps, 'lib', name));
  symlinkSync(source.includeDir, path.join(deps, 'include'));
  writeFileSync(path.join(deps, MARKER), `${JSON.stringify({ tensorflow: source.version, from: source.from, libDir: source.libDir }, null, 2)}\n`);
  return Object.keys(LIB_LINKS).map((name) => `deps/lib/${name} -> ${path.join(source.libDir, LIB_LINKS[name])}`);
}

/** node-gyp's command line and Node's headers, or the reason they cannot be had offline. */
export function buildTools(nodedirOption) {
  const missing = [];
  if (!output('g++', ['--version']) && !output('c++', ['--version'])) missing.push('a C++ compiler (g++)');
  if (!output('make', ['--version'])) missing.push('make');
  if (!output('python3', ['--version'])) missing.push('python3 (node-gyp runs gyp with it)');
  const nodeGyp = [
    path.resolve(process.execPath, '../../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
    ...[output('npm', ['root', '-g'])?.trim()].filter(Boolean).map((root) => path.join(root, 'npm/node_modules/node-gyp/bin/node-gyp.js')),
  ].find((file) => existsSync(file));
  if (!nodeGyp) missing.push("node-gyp (it comes with npm; looked beside this Node's npm)");
  const nodedir = nodedirOption ?? nodeHeadersDir();
  if (!nodedir) missing.push(`Node ${process.version}'s headers (pass --nodedir DIR holding include/node/node_api.h, e.g. /usr)`);
  return missing.length ? { missing } : { nodeGyp, nodedir };
}

/** A folder with include/node/ for this exact Node version: the installation's own, if it has them. */
function nodeHeadersDir() {
  for (const dir of [path.resolve(process.execPath, '../..'), '/usr', '/usr/local']) {
    const versionHeader = path.join(dir, 'include/node/node_version.h');
    if (!existsSync(path.join(dir, 'include/node/node_api.h')) || !existsSync(versionHeader)) continue;
    const text = readFileSync(versionHeader, 'utf8');
    const part = (name) => text.match(new RegExp(`#define NODE_${name}_VERSION (\\d+)`))?.[1];
    if (`v${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}` === process.version) return dir;
  }
  return undefined;
}

/**
 * The compiled addon for this (tfjs-node, TensorFlow, N-API) combination from the cache,
 * compiling it first where the cache has none, with the build tools `getTools()` gives (called
 * only then). Returns the cached file and whether it compiled.
 */
export function cachedAddon(tfjsNode, source, getTools, cacheDir, log) {
  const key = `tfjs-node-${tfjsNode.version}-tensorflow-${source.version}-${process.platform}-${process.arch}-napi-v${tfjsNode.napi}`;
  const cached = path.join(cacheDir, 'addons', key, 'tfjs_binding.node');
  if (existsSync(cached)) return { file: cached, compiled: false };
  const tools = getTools();
  mkdirSync(path.join(cacheDir, 'addons'), { recursive: true });
  const scratch = mkdtempSync(path.join(cacheDir, 'addons', '.build-'));
  try {
    cpSync(path.join(tfjsNode.dir, 'binding'), path.join(scratch, 'binding'), { recursive: true });
    copyFileSync(path.join(tfjsNode.dir, 'binding.gyp'), path.join(scratch, 'binding.gyp'));
    linkTensorFlow(scratch, source);
    const logFile = path.join(scratch, 'node-gyp.log');
    const args = [tools.nodeGyp, 'rebuild', `--nodedir=${tools.nodedir}`, `--jobs=${Math.min(2, navigatorCores())}`,
      '--module_name=tfjs_binding', `--module_path=${path.join(scratch, 'out')}`, `--napi_build_version=${tfjsNode.napi}`];
    log(`compiling the addon: node ${args.map((a) => path.basename(a) === 'node-gyp.js' ? 'node-gyp' : a).join(' ')}`);
    const result = spawnSync(process.execPath, args, { cwd: scratch, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    writeFileSync(logFile, `${result.stdout}\n${result.stderr}`);
    const built = path.join(scratch, 'build', 'Release', 'tfjs_binding.node');
    if (result.status !== 0 || !existsSync(built)) {
      const tail = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-15).join('\n');
      throw new Error(`node-gyp failed (exit ${result.status}):\n${tail}`);
    }
    const entry = path.dirname(cached);
    const staged = mkdtempSync(path.join(cacheDir, 'addons', '.staged-'));
    copyFileSync(built, path.join(staged, 'tfjs_binding.node'));
    try {
      renameSync(staged, entry);
    } catch (error) {
      rmSync(staged, { recursive: true, force: true });
      if (!existsSync(cached)) throw error; // another run cached it first
    }
    return { file: cached, compiled: true };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function navigatorCores() {
  const cores = Number(output('nproc', [])?.trim());
  return Number.isFinite(cores) && cores > 0 ? cores : 1;
}

/** Copies the addon to where tfjs-node loads it, next to a marker naming it as losskit-native's. */
export function installAddon(tfjsNode, addonFile) {
  mkdirSync(path.dirname(tfjsNode.bindingPath), { recursive: true });
  copyFileSync(addonFile, tfjsNode.bindingPath);
  const marker = path.join(tfjsNode.dir, 'deps', MARKER);
  const recorded = JSON.parse(readFileSync(marker, 'utf8'));
  writeFileSync(marker, `${JSON.stringify({ ...recorded, addon: tfjsNode.bindingPath, addonFrom: addonFile }, null, 2)}\n`);
}

/**
 * Loads tfjs-node in a child process and checks it: the backend is 'tensorflow', a matMul and
 * a gradient give the hand-computed values, and a one-layer model trains. Returns what it saw.
 */
export function smokeTest(tfjsNodeDir) {
  const script = `
    const tf = require(${JSON.stringify(tfjsNodeDir)});
    const same = (a, b) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) < 1e-5);
    const product = Array.from(tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[1, 2], [3, 4]])).dataSync());
    const grad = Array.from(tf.grad((x) => x.square().sum())(tf.tensor1d([1, -2, 3])).dataSync());
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2], kernelInitializer: 'zeros' })] });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const x = tf.tensor2d([[0, 1], [1, 0], [1, 1], [0, 0]]);
    const y = tf.tensor2d([[1], [2], [3], [0]]);
    model.fit(x, y, { epochs: 20, verbose: 0 }).then((h) => {
      const loss = h.history.loss;
      const checks = { backend: tf.getBackend() === 'tensorflow', matMul: same(product, [7, 10, 15, 22]), grad: same(grad, [2, -4, 6]), fit: loss[19] < loss[0] / 4 };
      console.log(JSON.stringify({ checks, tensorflow: tf.backend().binding.TF_Version, tfjsNode: tf.version['tfjs-node'], firstLoss: loss[0], lastLoss: loss[19] }));
    });`;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' } });
  const line = result.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (result.status !== 0 || !line) {
    const reason = result.stderr.trim().split('\n').find((l) => /Error/.test(l)) ?? result.stderr.trim().split('\n').slice(-1)[0];
    return { ok: false, reason: reason || `exit ${result.status}` };
  }
  const seen = JSON.parse(line);
  const failed = Object.entries(seen.checks).filter(([, ok]) => !ok).map(([name]) => name);
  return { ok: failed.length === 0, reason: failed.length ? `failed checks: ${failed.join(', ')}` : undefined, ...seen };
}
