// losskit-native's refusals, run as the real command in a child process: each exits with its
// documented code and message and leaves the tfjs-node package exactly as it was. (Building is
// exercised by .ci/run's native step and pnpm test:native, which need TensorFlow.)
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from './support/persistence-models.js';

const BIN = fileURLToPath(new URL('../bin/losskit-native.mjs', import.meta.url));
const TRAINER = fileURLToPath(new URL('../', import.meta.url));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, LOSSKIT_NATIVE_CACHE: cache } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code) : 0, stdout, stderr }),
    );
  });
}

/** Every path under tfjs-node's folder outside node_modules, with symlink targets: what a refusal must not change. */
function tfjsNodeTree(): string[] {
  let dir: string;
  try {
    dir = path.dirname(createRequire(path.join(TRAINER, 'package.json')).resolve('@tensorflow/tfjs-node/package.json'));
  } catch {
    return []; // not installed: nothing that could change
  }
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !path.relative(dir, entry.parentPath).startsWith('node_modules') && entry.name !== 'node_modules')
    .map((entry) => {
      const file = path.join(entry.parentPath, entry.name);
      return entry.isSymbolicLink() ? `${file} -> ${fs.readlinkSync(file)}` : file;
    })
    .sort();
}

let cache: string;

describe('losskit-native (the setup command for tfjs-node)', function () {
  this.timeout(60_000);
  beforeEach(() => {
    cache = makeTempDir('native-cache');
  });
  afterEach(() => fs.rmSync(cache, { recursive: true, force: true }));

  it('refuses an untested TensorFlow version before unpacking anything (exit 3), naming the override', async function () {
    const wheel = path.join(cache, 'tensorflow_cpu-2.15.0-cp311-cp311-manylinux_2_17_x86_64.whl');
    fs.writeFileSync(wheel, 'not unpacked: refused by its version first');
    const before = tfjsNodeTree();
    const { code, stderr } = await run(['--wheel', wheel, '--force']);
    if (code === 2 && /not installed beside/.test(stderr)) this.skip(); // no tfjs-node package here at all
    expect(code).to.equal(3);
    expect(stderr).to.contain('Untested combination: TensorFlow 2.15.0 (tested: 2.21.x)').and.contain('--allow-untested');
    expect(tfjsNodeTree()).to.deep.equal(before);
    expect(fs.readdirSync(cache)).to.deep.equal([path.basename(wheel)]);
  });

  it('a wheel path that does not exist is an error naming it (exit 1)', async function () {
    const missing = path.join(cache, 'nope.whl');
    const { code, stderr } = await run(['--wheel', missing, '--force']);
    if (code === 2 && /not installed beside/.test(stderr)) this.skip();
    expect(code).to.equal(1);
    expect(stderr).to.contain(`--wheel ${missing}: no such file.`);
  });

  it('an unknown option is an error with the closest known one (exit 1); --help exits 0', async () => {
    const unknown = await run(['--dowload']);
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.contain("Unknown option '--dowload'; did you mean '--download'?");
    const help = await run(['--help']);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.match(/^Usage: losskit-native/).and.contain('--allow-untested');
  });
});
