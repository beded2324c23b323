#!/usr/bin/env node
// @ts-check
// losskit-native: gives @tensorflow/tfjs-node its native addon built against a TensorFlow you
// already have (pip's tensorflow / tensorflow-cpu, or a wheel file), for machines where
// tfjs-node's own install cannot download libtensorflow. Writes only inside the tfjs-node
// package in node_modules and in its cache folder. Run with --help for the options.
import { closest } from 'fastest-levenshtein';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { downloadWheel, findPip, fromPipInstallation, fromWheel, parseWheelName, Unavailable, untestedReason } from '../native/tensorflow-source.mjs';
import { buildTools, cachedAddon, findTfjsNode, foreignFiles, installAddon, linkTensorFlow, readMarker, smokeTest, TESTED_TFJS_NODE } from '../native/tfjs-node-addon.mjs';

/** Exit codes: 0 built (or already working), 1 failed, 2 not possible here (nothing changed), 3 refused as untested. */
const EXIT = { ok: 0, failed: 1, unavailable: 2, untested: 3 };
const HELP = `Usage: losskit-native [--wheel FILE | --download] [options]

Links @tensorflow/tfjs-node ${TESTED_TFJS_NODE} against a local TensorFlow's C library and builds its addon.
TensorFlow comes from (first that applies):
  --wheel FILE       a tensorflow / tensorflow-cpu wheel (unpacked once into the cache)
  --download         pip download tensorflow-cpu==2.21.0 into the cache (uses your pip's index)
  (default)          pip show tensorflow-cpu, then pip show tensorflow
Options:
  --cache DIR        cache folder (default: $LOSSKIT_NATIVE_CACHE, else ~/.cache/losskit-native)
  --nodedir DIR      folder with Node's headers (include/node); default: this Node's own
  --allow-untested   build with a TensorFlow version or platform losskit-native was not tested with
  --force            link and install again even when tfjs-node already works
                     (a compiled addon comes from the cache; delete its addons/ folder to recompile)
  --help             this text
Exit codes: 0 done, 1 failed, 2 not possible here (nothing changed), 3 untested combination refused.`;

class Stop extends Error {
  /** @param {string} message @param {number} code */
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

function parseArgs(argv) {
  const options = { wheel: undefined, download: false, cache: undefined, nodedir: undefined, allowUntested: false, force: false, help: false };
  const valued = { '--wheel': 'wheel', '--cache': 'cache', '--nodedir': 'nodedir' };
  const flags = { '--download': 'download', '--allow-untested': 'allowUntested', '--force': 'force', '--help': 'help', '-h': 'help' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg in valued) {
      const value = argv[++i];
      if (!value || value.startsWith('--')) throw new Stop(`${arg} needs a value (see --help).`, EXIT.failed);
      options[valued[arg]] = path.resolve(value);
    } else if (arg in flags) {
      options[flags[arg]] = true;
    } else {
      const known = [...Object.keys(valued), ...Object.keys(flags)];
      throw new Stop(`Unknown option '${arg}'; did you mean '${closest(arg, known)}'? (see --help)`, EXIT.failed);
    }
  }
  return options;
}

function defaultCache() {
  if (process.env.LOSSKIT_NATIVE_CACHE) return path.resolve(process.env.LOSSKIT_NATIVE_CACHE);
  return path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'losskit-native');
}

/**
 * The TensorFlow to link against, from the first source the options allow. `checkTested` sees
 * its version before a wheel is unpacked, so an untested one is refused before any work.
 */
function findTensorFlow(options, cache, log, checkTested) {
  const unpack = (wheel) => {
    checkTested(parseWheelName(wheel).version);
    return fromWheel(wheel, cache);
  };
  if (options.wheel) {
    if (!existsSync(options.wheel)) throw new Stop(`--wheel ${options.wheel}: no such file.`, EXIT.failed);
    return unpack(options.wheel);
  }
  const pip = findPip();
  if (options.download) {
    if (!pip) throw new Stop('--download needs pip (pip, pip3 or python3 -m pip); none runs here.', EXIT.unavailable);
    const { wheel, downloaded } = downloadWheel(pip, path.join(cache, 'wheels'));
    log(downloaded ? `downloaded ${wheel} with pip` : `using the wheel downloaded before: ${wheel}`);
    return unpack(wheel);
  }
  const installed = pip && fromPipInstallation(pip);
  if (installed) {
    checkTested(installed.version);
    return installed;
  }
  throw new Stop(`No TensorFlow found: ${pip ? 'pip show finds neither tensorflow-cpu nor tensorflow' : 'no pip runs here'}. `
    + 'Install one (pip install tensorflow-cpu==2.21.0), or pass --wheel FILE or --download.', EXIT.unavailable);
}

async function main(argv, log) {
  const options = parseArgs(argv);
  if (options.help) {
    console.log(HELP);
    return EXIT.ok;
  }
  const started = performance.now();
  const trainerDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const tfjsNode = findTfjsNode(trainerDir);
  if (!tfjsNode) {
    throw new Stop(`@tensorflow/tfjs-node is not installed beside @losskit/trainer (${trainerDir}); its install failed and the package manager left it out. `
      + `Place the package without its install script, then run losskit-native again: npm install --no-save --ignore-scripts @tensorflow/tfjs-node@${TESTED_TFJS_NODE} `
      + `(pnpm: add "@tensorflow/tfjs-node": false under allowBuilds in pnpm-workspace.yaml and run pnpm install).`, EXIT.unavailable);
  }
  log(`tfjs-node ${tfjsNode.version} at ${tfjsNode.dir}`);
  if (tfjsNode.version !== TESTED_TFJS_NODE && !options.allowUntested) {
    throw new Stop(`tfjs-node ${tfjsNode.version} is untested with losskit-native (tested: ${TESTED_TFJS_NODE}); pass --allow-untested to try anyway.`, EXIT.untested);
  }

  const before = existsSync(tfjsNode.bindingPath) ? smokeTest(tfjsNode.dir) : undefined;
  if (before?.ok && !options.force) {
    const marker = readMarker(tfjsNode.dir);
    log(`tfjs-node already works (TensorFlow ${before.tensorflow}${marker ? ', linked by losskit-native before' : ', from its own install'}); nothing to do (--force links it again).`);
    return EXIT.ok;
  }
  const foreign = foreignFiles(tfjsNode);
  if (foreign) {
    throw new Stop(`tfjs-node has files losskit-native did not make (${foreign.join(', ')})${before ? `, and it does not load: ${before.reason}` : ''}. `
      + 'losskit-native replaces only its own files: move those away yourself (or reinstall tfjs-node with --ignore-scripts), then run it again.', EXIT.failed);
  }

  const cache = options.cache ?? defaultCache();
  const source = findTensorFlow(options, cache, log, (version) => {
    const untested = untestedReason(version);
    if (!untested) return;
    if (!options.allowUntested) throw new Stop(`Untested combination: ${untested}. Pass --allow-untested to build anyway.`, EXIT.untested);
    log(`warning: untested combination (${untested}), built because of --allow-untested`);
  });
  log(`TensorFlow ${source.version} from ${source.from}`);
  // The compiler and Node's headers are needed only where the cache has no addon for this combination.
  const tools = () => {
    const found = buildTools(options.nodedir);
    if ('missing' in found) throw new Stop(`Cannot compile the addon here: missing ${found.missing.join(', ')}.`, EXIT.unavailable);
    return found;
  };
  const addon = cachedAddon(tfjsNode, source, tools, cache, log);
  for (const line of linkTensorFlow(tfjsNode.dir, source)) log(`linked ${line}`);
  installAddon(tfjsNode, addon.file);
  log(`${addon.compiled ? 'compiled' : 'reused the addon compiled before:'} ${addon.file} -> ${tfjsNode.bindingPath}`);

  const after = smokeTest(tfjsNode.dir);
  if (!after.ok) throw new Stop(`The addon was built but the smoke test failed: ${after.reason}.`, EXIT.failed);
  log(`smoke test passed: backend tensorflow, TensorFlow ${after.tensorflow} via tfjs-node ${after.tfjsNode}; matMul, gradient and model.fit (loss ${after.firstLoss.toFixed(3)} -> ${after.lastLoss.toFixed(3)}) correct`);
  log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s; @losskit/trainer now picks the 'tensorflow' backend (selectBackend, or LOSSKIT_BACKEND=tensorflow).`);
  return EXIT.ok;
}

const log = (line) => console.log(`[losskit-native] ${line}`);
try {
  process.exitCode = await main(process.argv.slice(2), log);
} catch (error) {
  console.error(`[losskit-native] ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = error instanceof Stop ? error.code : error instanceof Unavailable ? EXIT.unavailable : EXIT.failed;
}
