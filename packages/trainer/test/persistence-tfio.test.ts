import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { VersionMismatchError } from '@losskit/core';
import { expect } from 'chai';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileSystemIO, Trainer, TrainerFileError, TrainerInputError } from '@losskit/trainer';
import { buildMlp, formulaData, useTempDirPerTest } from './support/persistence-models.js';
import { copyOf, disposeTrainer, memoryHandler, predictions } from './support/tfio.js';

// Trainer.save / Trainer.load through tf.io: any URL or handler, the losskit manifest inside the
// model artifacts (userDefinedMetadata.losskit), the optimizer's slots in the weights (group
// 'optimizer'). Real tensors, real files, a real HTTP server on 127.0.0.1.

const quiet = { backend: 'cpu' as const, verbose: false as const };
const fitOptions = { batchSize: 8, seed: 5, verbose: 0 as const };

/** Serves the files of `dir` on 127.0.0.1 (a random port) until closed. */
async function serveDirectory(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((request, response) => {
    const file = path.join(dir, path.basename(new URL(request.url ?? '/', 'http://x').pathname));
    if (!fs.existsSync(file)) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream' }).end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('Trainer.save / Trainer.load through tf.io (URLs and handlers)', function () {
  this.timeout(60_000);
  let dir: string;
  useTempDirPerTest('tfio', (made) => (dir = made));

  it('a custom handler round-trips the trainer: same predictions, losses by name, and training continues as if it never stopped', async () => {
    const { x, y } = formulaData(48);
    const straight = new Trainer({ model: buildMlp(), optimizer: tf.train.adam(0.02), loss: 'mse', metrics: ['mae'], ...quiet });
    const reference = await straight.fit(x, y, { ...fitOptions, epochs: 4 });

    const first = new Trainer({ model: buildMlp(), optimizer: tf.train.adam(0.02), loss: 'mse', metrics: ['mae'], ...quiet });
    const before = await first.fit(x, y, { ...fitOptions, epochs: 2 });
    const expected = await predictions(first.model, x);
    const handler = memoryHandler();
    const tensors = tf.memory().numTensors;
    await first.save(handler);
    expect(tf.memory().numTensors, 'save leaves no tensor').to.equal(tensors);
    disposeTrainer(first);

    // What the handler stored: the manifest in the metadata, the optimizer's slots as group 'optimizer'.
    const manifest = (handler.stored!.userDefinedMetadata as { losskit: Record<string, unknown> }).losskit;
    expect(manifest).to.include({ format: 'losskit-trainer', formatVersion: 3, epochsCompleted: 2, seed: 5 });
    expect(manifest.losses).to.deep.include({ name: 'mse', package: { name: '@losskit/loss-mse', version: '0.1.0' } });
    expect(manifest.metrics).to.deep.equal(['mae']);
    // savedBy is a constant in the code (a bundle cannot read package.json): it must match it.
    const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string };
    expect(manifest.savedBy).to.deep.equal({ package: pkg.name, version: pkg.version });
    const slots = handler.stored!.weightSpecs!.filter((spec) => spec.group === 'optimizer');
    expect(slots.map((spec) => spec.name)).to.deep.equal((manifest.optimizer as { weights: { spec: { name: string } }[] }).weights.map((w) => w.spec.name));
    expect(slots.length).to.be.greaterThan(first.model.weights.length);

    const loaded = await Trainer.load(handler, { verbose: false });
    expect(loaded.epochsCompleted).to.equal(2);
    expect(loaded.seed).to.equal(5);
    expect(loaded.lossSpecs).to.deep.include({ name: 'mse' });
    expect(await predictions(loaded.model, x)).to.deep.equal(expected);
    const after = await loaded.fit(x, y, { ...fitOptions, epochs: 4, initialEpoch: loaded.epochsCompleted });
    for (const key of Object.keys(reference.history)) {
      expect([...before.history[key]!, ...after.history[key]!], key).to.deep.equal(reference.history[key]);
    }
    // Plain TF.js loads the same artifacts and ignores the optimizer group.
    const plain = await tf.loadLayersModel(tf.io.fromMemory(handler.stored!));
    const plainTensors = plain.weights.length;
    expect(plainTensors).to.equal(loaded.model.weights.length);
    plain.dispose();
    tf.dispose([x, y]);
    disposeTrainer(straight);
    disposeTrainer(loaded);
  });

  it('tf.io.withSaveHandler saves and tf.io.fromMemory loads, with no tensor left behind on either side', async () => {
    const { x, y } = formulaData(32);
    const trainer = new Trainer({ model: buildMlp(3), optimizer: tf.train.rmsprop(0.01), loss: { name: 'mse', reduction: 'sum' }, ...quiet });
    await trainer.fit(x, y, { ...fitOptions, epochs: 1 });
    const expected = await predictions(trainer.model, x);
    let captured: tf.io.ModelArtifacts | undefined;
    const tensors = tf.memory().numTensors;
    await trainer.save(tf.io.withSaveHandler(async (artifacts) => ((captured = artifacts), { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) })));
    const loaded = await Trainer.load(tf.io.fromMemory(captured!), { verbose: false });
    expect(loaded.lossSpecs).to.deep.include({ name: 'mse', reduction: 'sum' });
    expect(loaded.optimizer.getClassName()).to.equal('RMSProp');
    expect(await predictions(loaded.model, x)).to.deep.equal(expected);
    disposeTrainer(loaded);
    expect(tf.memory().numTensors, 'save + load + dispose').to.equal(tensors);
    tf.dispose([x, y]);
    disposeTrainer(trainer);
  });

  it('a directory save loads through tf.io (fileSystemIO, and http from 127.0.0.1); a handler save unpacked into a directory loads by path', async () => {
    const { x, y } = formulaData(32);
    const trainer = new Trainer({ model: buildMlp(4), optimizer: tf.train.adam(0.01), loss: 'mse', ...quiet });
    await trainer.fit(x, y, { ...fitOptions, epochs: 1 });
    const expected = await predictions(trainer.model, x);
    const saved = path.join(dir, 'saved');
    await trainer.save(saved);

    const viaHandler = await Trainer.load(fileSystemIO(saved), { verbose: false });
    expect(await predictions(viaHandler.model, x)).to.deep.equal(expected);
    disposeTrainer(viaHandler);
    const server = await serveDirectory(saved);
    try {
      const viaHttp = await Trainer.load(`${server.url}/model.json`, { verbose: false });
      expect(viaHttp.epochsCompleted).to.equal(1);
      expect(viaHttp.lossSpecs).to.deep.include({ name: 'mse' });
      expect(await predictions(viaHttp.model, x)).to.deep.equal(expected);
      disposeTrainer(viaHttp);
    } finally {
      await server.close();
    }

    // The other way: artifacts a handler stored (as a page's downloads:// would hand them over),
    // written as model.json + weights.bin only, load from the directory path.
    const handler = memoryHandler();
    await trainer.save(handler);
    const unpacked = path.join(dir, 'unpacked');
    await fileSystemIO(unpacked).save!(handler.stored!);
    expect(fs.readdirSync(unpacked).sort()).to.deep.equal(['model.json', 'weights.bin']);
    const fromDir = await Trainer.load(unpacked, { verbose: false });
    expect(fromDir.epochsCompleted).to.equal(1);
    expect(await predictions(fromDir.model, x)).to.deep.equal(expected);
    disposeTrainer(fromDir);
    tf.dispose([x, y]);
    disposeTrainer(trainer);
  });

  it('artifacts are untrusted: bad metadata, sizes and optimizer slots are refused naming the field, and nothing leaks', async () => {
    const { x, y } = formulaData(16);
    const trainer = new Trainer({ model: buildMlp(5), optimizer: tf.train.adam(0.01), loss: 'mse', ...quiet });
    await trainer.fit(x, y, { ...fitOptions, epochs: 1 });
    const handler = memoryHandler();
    await trainer.save(handler);
    const good = handler.stored!;
    type Tamper = [string, (a: ReturnType<typeof copyOf>) => void, RegExp, (new (...args: never[]) => Error)?];
    const cases: Tamper[] = [
      ['no metadata', (a) => delete (a as { userDefinedMetadata?: unknown }).userDefinedMetadata, /without a losskit manifest \(userDefinedMetadata\.losskit\)/],
      ['negative epochs', (a) => (a.userDefinedMetadata.losskit.epochsCompleted = -1), /userDefinedMetadata\.losskit\) is corrupt .*at epochsCompleted/],
      ['an unknown key', (a) => (a.userDefinedMetadata.losskit.plugins = ['evil']), /an unknown key/],
      ['a prototype key', (a) => (a.userDefinedMetadata.losskit = { ...JSON.parse('{"__proto__": {"polluted": true}}'), ...a.userDefinedMetadata.losskit }), /contains the key '__proto__'/],
      ['a loss name that is a path', (a) => ((a.userDefinedMetadata.losskit.losses as { name: string }).name = '../evil'), /at losses/],
      ['a newer format', (a) => (a.userDefinedMetadata.losskit.formatVersion = 99), /format version 99, newer than/, VersionMismatchError],
      ['truncated weights', (a) => (a.weightData = (a.weightData as ArrayBuffer).slice(0, 40)), /weight data does not have the size its weight specs describe/],
      ['a renamed optimizer slot', (a) => (a.weightSpecs!.at(-1)!.name = 'losskit-optimizer/other'), /optimizer weights \(group 'optimizer'\) do not match/],
      ['a huge declared shape', (a) => (a.weightSpecs![0]!.shape = [1 << 20, 1 << 20]), /declares more weight bytes than/],
      ['a graph model', (a) => (a.modelTopology = new ArrayBuffer(8)), /graph model/],
    ];
    const tensors = tf.memory().numTensors;
    for (const [what, tamper, message, type] of cases) {
      const artifacts = copyOf(good);
      tamper(artifacts);
      const error = await Trainer.load(tf.io.fromMemory(artifacts), { verbose: false }).then(() => undefined, (e: unknown) => e);
      expect(error, what).to.be.instanceOf(type ?? TrainerFileError);
      expect((error as Error).message, what).to.match(message);
      expect(({} as { polluted?: unknown }).polluted, what).to.equal(undefined);
      expect(tf.memory().numTensors, `${what}: no tensor left`).to.equal(tensors);
    }
    // A loss nobody registered: refused before any tensor is made, naming the loss and its package.
    const unknown = copyOf(good);
    (unknown.userDefinedMetadata.losskit.losses as { name: string }).name = 'acme-unregistered';
    const missing = await Trainer.load(tf.io.fromMemory(unknown), { verbose: false }).then(() => undefined, (e: unknown) => e as Error);
    expect(missing?.message).to.match(/acme-unregistered/);
    expect(tf.memory().numTensors).to.equal(tensors);
    // The handler's own failure, said with the location.
    const empty = await Trainer.load(memoryHandler(), { verbose: false }).then(() => undefined, (e: unknown) => e as Error);
    expect(empty?.message).to.equal('Could not load the tf.io handler: nothing saved under this key');
    tf.dispose([x, y]);
    disposeTrainer(trainer);
  });

  it("a save trained on a backend this environment lacks (webgl, saved in a page) loads in Node on the backend 'auto' picks, saying so", async () => {
    const trainer = new Trainer({ model: buildMlp(9), optimizer: 'sgd', loss: 'mse', ...quiet });
    const handler = memoryHandler();
    await trainer.save(handler);
    const fromPage = copyOf(handler.stored!);
    fromPage.userDefinedMetadata.losskit.trainer = { backend: 'webgl' };
    const lines: string[] = [];
    const loaded = await Trainer.load(tf.io.fromMemory(fromPage), { logger: (line) => lines.push(line) });
    expect(lines[0]).to.equal("[losskit] the save was trained on 'webgl', which is not available here; choosing a backend as 'auto' does");
    expect(['tensorflow', 'wasm', 'cpu']).to.include(loaded.backend.backend);
    // Asked for explicitly, an unavailable backend is still an error.
    const forced = await Trainer.load(tf.io.fromMemory(fromPage), { backend: 'webgl', verbose: false }).then(() => undefined, (e: unknown) => e as Error);
    expect(forced?.message).to.match(/Backend 'webgl' .* cannot be used/);
    disposeTrainer(loaded);
    disposeTrainer(trainer);
    await tf.setBackend('cpu');
  });

  it('the history the user keeps travels with the save; a failing handler or bad history leaves no tensor and says what failed', async () => {
    const { x, y } = formulaData(16);
    const trainer = new Trainer({ model: buildMlp(10), optimizer: tf.train.adam(0.01), loss: 'mse', ...quiet });
    const history = await trainer.fit(x, y, { ...fitOptions, epochs: 2 });
    const handler = memoryHandler();
    await trainer.save(handler, { history });
    const loaded = await Trainer.load(handler, { verbose: false });
    expect(loaded.savedHistory).to.deep.equal(history.history);
    disposeTrainer(loaded);
    const dir2 = path.join(dir, 'with-history');
    await trainer.save(dir2, { history: history.history });
    const fromDir = await Trainer.load(dir2, { verbose: false });
    expect(fromDir.savedHistory).to.deep.equal(history.history);
    disposeTrainer(fromDir);

    const tensors = tf.memory().numTensors;
    const failing: tf.io.IOHandler = { save: async () => { throw new Error('quota exceeded'); } };
    const quota = await trainer.save(failing).then(() => undefined, (e: unknown) => e as Error);
    expect(quota).to.be.instanceOf(TrainerFileError);
    expect(quota?.message).to.equal('Could not save the trainer to the tf.io handler: quota exceeded');
    const notAList = await trainer.save(memoryHandler(), { history: { loss: 'falling' } as never }).then(() => undefined, (e: unknown) => e as Error);
    expect(notAList?.message).to.match(/^The trainer state cannot be saved: at history\.loss: /);
    const typo = await trainer.save(memoryHandler(), { histroy: {} } as never).then(() => undefined, (e: unknown) => e as Error);
    expect(typo?.message).to.match(/histroy/);
    expect(tf.memory().numTensors, 'failed saves leave nothing').to.equal(tensors);
    tf.dispose([x, y]);
    disposeTrainer(trainer);
  });

  it('a URL no tf.io router takes, or something that is no handler, is refused saying what works', async () => {
    const trainer = new Trainer({ model: buildMlp(), optimizer: 'sgd', loss: 'mse', ...quiet });
    const unsupported = await trainer.save('indexeddb://model').then(() => undefined, (e: unknown) => e as Error);
    expect(unsupported).to.be.instanceOf(TrainerInputError);
    expect(unsupported?.message).to.match(/save: no tf\.io save handler takes 'indexeddb:\/\/' here\. .*in Node, use a directory path/);
    const notHandler = await Trainer.load({ save: 1 } as never).then(() => undefined, (e: unknown) => e as Error);
    expect(notHandler?.message).to.match(/Trainer\.load: expected a directory path, a tf\.io URL .* or a tf\.io handler with a load\(\) method/);
    disposeTrainer(trainer);
  });

});
