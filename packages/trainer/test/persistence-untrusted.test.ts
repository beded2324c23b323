import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { getLossRegistry, registerLossFunction, VersionMismatchError } from '@losskit/core';
import { MissingLossPluginError, Trainer, TrainerFileError } from '@losskit/trainer';
import { loadTrainerState } from '@losskit/trainer/persistence';
import { buildMlp, makeTempDir, snapshotDir } from './support/persistence-models.js';

const quiet = { backend: 'cpu' as const, verbose: false as const };
const SECRET = 'TOPSECRET-do-not-leak-'.repeat(40);

type Json = Record<string, unknown>;
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
const writeJson = (file: string, value: unknown) => fs.writeFileSync(file, JSON.stringify(value));

/**
 * Each case gets a copy of one real save, changes it as an attacker would, and must be refused
 * with a TrainerFileError (or the given class) matching `message`: without quoting the secret
 * file, stating its size, changing a file, or leaving a tensor behind.
 */
describe('Trainer.load treats a saved directory as untrusted input', function () {
  this.timeout(60_000);
  let root: string;
  let good: string;
  let secretFile: string;

  before(async () => {
    await tf.setBackend('cpu');
    root = makeTempDir('untrusted');
    good = path.join(root, 'good');
    const trainer = new Trainer({ model: buildMlp(), optimizer: tf.train.adam(0.01), loss: 'mse', ...quiet });
    await trainer.ready();
    await trainer.save(good);
    trainer.model.dispose();
    trainer.optimizer.dispose();
    trainer.dispose();
    // A file outside the save, exactly as large as weights.bin: the old loader took it as weights.
    secretFile = path.join(root, 'secret.bin');
    const size = fs.statSync(path.join(good, 'weights.bin')).size;
    fs.writeFileSync(secretFile, Buffer.from(SECRET.repeat(Math.ceil(size / SECRET.length)).slice(0, size)));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  let copies = 0;
  function copyOfGood(): string {
    const dir = path.join(root, `case-${copies++}`);
    fs.cpSync(good, dir, { recursive: true });
    return dir;
  }

  async function expectRefused(dir: string, message: RegExp, type: new (...args: never[]) => Error = TrainerFileError): Promise<Error> {
    const before = snapshotDir(dir);
    const secretBefore = fs.readFileSync(secretFile);
    const tensors = tf.memory().numTensors;
    let failure: unknown;
    for (const load of [() => Trainer.load(dir, { verbose: false }), () => loadTrainerState(dir)]) {
      failure = undefined;
      await load().then(
        () => undefined,
        (error: unknown) => (failure = error),
      );
      expect(failure, `refused: ${message}`).to.be.instanceOf(type);
      const text = (failure as Error).message;
      expect(text).to.match(message);
      expect(text, 'quotes no other file').not.to.include('TOPSECRET');
      expect(text, 'states no size').not.to.include(String(secretBefore.length));
    }
    expect(tf.memory().numTensors, 'no tensor left behind').to.equal(tensors);
    expect(snapshotDir(dir), 'the directory is unchanged').to.deep.equal(before);
    expect(fs.readFileSync(secretFile).equals(secretBefore)).to.equal(true);
    return failure as Error;
  }

  function editModelJson(dir: string, edit: (json: Json) => void): void {
    const json = readJson(path.join(dir, 'model.json'));
    edit(json);
    writeJson(path.join(dir, 'model.json'), json);
  }
  function editManifest(dir: string, edit: (json: Json) => void): void {
    const json = readJson(path.join(dir, 'losskit.json'));
    edit(json);
    writeJson(path.join(dir, 'losskit.json'), json);
  }
  const weightPaths = (paths: string[]) => (json: Json) => ((json.weightsManifest as { paths: string[] }[])[0]!.paths = paths);

  it('a weight path with ../ is refused', async () => {
    const dir = copyOfGood();
    editModelJson(dir, weightPaths([`../${path.basename(secretFile)}`]));
    await expectRefused(dir, /outside the directory/);
    editModelJson(dir, weightPaths(['sub/../../secret.bin']));
    await expectRefused(dir, /outside the directory/);
  });

  it('an absolute weight path (a secret file, /dev/zero) or a URL is refused', async () => {
    for (const target of [secretFile, '/dev/zero', 'file:///dev/zero', 'C:\\secret.bin']) {
      const dir = copyOfGood();
      editModelJson(dir, weightPaths([target]));
      await expectRefused(dir, /absolute path or URL|backslash/);
    }
  });

  it('a weights.bin, model.json or losskit.json that is a symbolic link is refused (to a secret or to /dev/zero)', async () => {
    for (const [name, target] of [['weights.bin', secretFile], ['weights.bin', '/dev/zero'], ['model.json', secretFile], ['losskit.json', secretFile]] as const) {
      const dir = copyOfGood();
      fs.rmSync(path.join(dir, name));
      fs.symlinkSync(target, path.join(dir, name));
      await expectRefused(dir, /symbolic link/);
    }
    // A link to a directory holding the weights, named in model.json as a subdirectory.
    const dir = copyOfGood();
    fs.mkdirSync(path.join(root, 'elsewhere'), { recursive: true });
    fs.copyFileSync(secretFile, path.join(root, 'elsewhere', 'weights.bin'));
    fs.symlinkSync(path.join(root, 'elsewhere'), path.join(dir, 'sub'));
    editModelJson(dir, weightPaths(['sub/weights.bin']));
    await expectRefused(dir, /symbolic link/);
  });

  it('a FIFO as weights.bin fails at once instead of hanging the load', async () => {
    const dir = copyOfGood();
    fs.rmSync(path.join(dir, 'weights.bin'));
    execFileSync('mkfifo', [path.join(dir, 'weights.bin')]);
    const started = Date.now();
    await expectRefused(dir, /not a regular file/);
    expect(Date.now() - started).to.be.below(5000);
  });

  it('optimizer.file pointing outside the save is refused', async () => {
    for (const file of ['../secret.bin', secretFile]) {
      const dir = copyOfGood();
      editManifest(dir, (json) => ((json.optimizer as Json).file = file));
      await expectRefused(dir, /outside the directory|absolute path/);
    }
  });

  it('weights of another size than model.json declares are refused without stating sizes', async () => {
    const dir = copyOfGood();
    fs.appendFileSync(path.join(dir, 'weights.bin'), Buffer.alloc(100));
    const error = await expectRefused(dir, /do not have the size model\.json describes/);
    expect(error.message).not.to.match(/\d+ bytes/);
    // A declared shape cannot make the loader allocate gigabytes either.
    const huge = copyOfGood();
    editModelJson(huge, (json) => ((json.weightsManifest as { weights: { shape: number[] }[] }[])[0]!.weights[0]!.shape = [1 << 20, 1 << 20]));
    await expectRefused(huge, /declares more weight bytes than/);
  });

  it("optimizer slots in weights.bin that differ from losskit.json's are refused and leak nothing, attempt after attempt", async () => {
    const dropped = copyOfGood();
    editModelJson(dropped, (json) => {
      const weights = (json.weightsManifest as { weights: unknown[] }[])[0]!.weights;
      weights.pop();
    });
    // One slot fewer declared: weights.bin is now longer than model.json describes.
    for (let attempt = 0; attempt < 3; attempt++) await expectRefused(dropped, /do not have the size model\.json describes/);
    const reshaped = copyOfGood();
    editModelJson(reshaped, (json) => {
      const weights = (json.weightsManifest as { weights: { name: string; group?: string }[] }[])[0]!.weights;
      weights.at(-1)!.name = 'losskit-optimizer/other';
    });
    for (let attempt = 0; attempt < 3; attempt++) await expectRefused(reshaped, /optimizer weights \(group 'optimizer'\) do not match the optimizer state/);
  });

  it('JSON that is not JSON is refused without quoting its bytes', async () => {
    const dir = copyOfGood();
    fs.writeFileSync(path.join(dir, 'model.json'), SECRET);
    await expectRefused(dir, /model\.json \(model topology\) is not valid JSON/);
  });

  it('losskit.json with prototype keys, wrong types, negative epochs or unknown keys is refused by its schema', async () => {
    const edits: [string, (json: Json) => void, RegExp][] = [
      ['__proto__', () => {}, /contains the key '__proto__'/],
      ['negative epochs', (json) => (json.epochsCompleted = -3), /at epochsCompleted/],
      ['fractional epochs', (json) => (json.epochsCompleted = 1.5), /at epochsCompleted/],
      ['losses of the wrong type', (json) => (json.losses = 5), /at losses/],
      ['an unknown key', (json) => (json.plugins = ['x']), /an unknown key/],
      ['a layer class as optimizer', (json) => ((json.optimizer as Json).className = 'Dense'), /not an optimizer/],
      ['a loss name that is a path', (json) => ((json.losses as Json).name = '../../evil'), /at losses/],
    ];
    for (const [what, edit, message] of edits) {
      const dir = copyOfGood();
      editManifest(dir, edit);
      if (what === '__proto__') {
        const text = fs.readFileSync(path.join(dir, 'losskit.json'), 'utf8');
        fs.writeFileSync(path.join(dir, 'losskit.json'), text.replace('{', '{"__proto__": {"polluted": true},'));
      }
      await expectRefused(dir, message);
      expect(({} as { polluted?: unknown }).polluted, what).to.equal(undefined);
    }
  });

  it('a losskit.json that is a directory is refused', async () => {
    const dir = copyOfGood();
    fs.rmSync(path.join(dir, 'losskit.json'));
    fs.mkdirSync(path.join(dir, 'losskit.json'));
    await expectRefused(dir, /not a regular file/);
  });

  describe('plugins: nothing in a save makes losskit import a package outside the naming convention', () => {
    let cwd: string;
    let marker: string;
    before(() => {
      // An installed package outside the convention whose import has a visible side effect.
      cwd = path.join(root, 'app');
      marker = path.join(root, 'evil-was-imported');
      const pkg = path.join(cwd, 'node_modules', 'evil-plugin');
      fs.mkdirSync(pkg, { recursive: true });
      fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'evil-plugin', version: '1.0.0', type: 'module', main: 'index.js' }));
      fs.writeFileSync(path.join(pkg, 'index.js'), `import fs from 'node:fs'; fs.writeFileSync(${JSON.stringify(marker)}, 'imported');\n`);
    });

    async function inApp<T>(run: () => Promise<T>): Promise<T> {
      const previous = process.cwd();
      process.chdir(cwd);
      try {
        return await run();
      } finally {
        process.chdir(previous);
      }
    }

    it('a saved plugins list and a saved package name are shown, never imported; the application opts in with plugins', async () => {
      const dir = copyOfGood();
      editManifest(dir, (json) => {
        json.losses = { name: 'evil-loss', options: {}, reduction: 'sum_over_batch_size', package: { name: 'evil-plugin', version: '1.0.0' } };
        json.trainer = { plugins: ['evil-plugin'] };
      });
      const error = await inApp(() => expectRefused(dir, /loss 'evil-loss', which is not registered/, MissingLossPluginError));
      expect(error.message).to.include("saved with plugins ['evil-plugin']");
      expect(error.message).to.include('never imported by itself');
      expect(fs.existsSync(marker), 'evil-plugin was not imported').to.equal(false);

      // The application's own list is honoured: that is the one way to import such a package.
      await inApp(() => Trainer.load(dir, { plugins: ['evil-plugin'], verbose: false })).catch(() => undefined);
      expect(fs.existsSync(marker), 'imported when the application passed it').to.equal(true);
    });

    it('a plugin of the wrong core API version: the message names the plugin version the model was saved with', async () => {
      const coreUrl = pathToFileURL(createRequire(import.meta.url).resolve('@losskit/core')).href;
      const pkg = path.join(cwd, 'node_modules', 'losskit-loss-oldapi');
      fs.mkdirSync(pkg, { recursive: true });
      fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'losskit-loss-oldapi', version: '2.0.0', type: 'module', main: 'index.js' }));
      fs.writeFileSync(
        path.join(pkg, 'index.js'),
        `import { registerLossFunction } from ${JSON.stringify(coreUrl)};\n` +
          `registerLossFunction({ name: 'oldapi', description: 'built for another core', coreApi: '^9.0.0', package: { name: 'losskit-loss-oldapi', version: '2.0.0' } }, (t) => t);\n`,
      );
      const dir = await saveWithLoss('oldapi', { name: 'losskit-loss-oldapi', version: '1.4.0' });
      const error = await inApp(() => expectRefused(dir, /saved with loss 'oldapi' from losskit-loss-oldapi@1\.4\.0/, VersionMismatchError));
      expect(error.message).to.match(/Install losskit-loss-oldapi@1\.4\.0 \(the version the trainer was saved with\)/);
    });

    it('a loss the application registered itself (registerLossFunction): no made-up package to install', async () => {
      const dir = await saveWithLoss('my-l1', undefined);
      const error = await expectRefused(dir, /registered by the application/, MissingLossPluginError);
      expect(error.message).to.include("Register 'my-l1' again");
      expect(error.message).not.to.match(/pnpm add|@losskit\/loss-my-l1/);
    });

    /** Saves a trainer whose loss is a registered function, then unregisters it (a fresh process). */
    async function saveWithLoss(name: string, pkg: { name: string; version: string } | undefined): Promise<string> {
      registerLossFunction({ name, description: 'test loss', ...(pkg ? { package: pkg } : {}) }, (t, p) => tf.mean(tf.abs(tf.sub(t, p)), -1));
      const dir = path.join(root, `saved-${name}`);
      const trainer = new Trainer({ model: buildMlp(), optimizer: tf.train.sgd(0.1), loss: name, ...quiet });
      try {
        await trainer.ready();
        await trainer.save(dir);
      } finally {
        trainer.dispose();
        trainer.model.dispose();
        trainer.optimizer.dispose();
        getLossRegistry().unregister(name);
      }
      return dir;
    }
  });
});
