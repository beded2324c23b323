// Unknown option keys of the persistence entrances are errors naming the key, with the nearest
// known one: a typo must not load or train with a default the caller did not mean.
import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { loadModelWithLoss, saveModelWithLoss, Trainer, TrainerInputError } from '@losskit/trainer';
import { buildMlp, formulaData, useTempDirPerSuite } from './support/persistence-models.js';

const quiet = { backend: 'cpu' as const, verbose: false as const };

describe('persistence options: unknown keys are errors', function () {
  this.timeout(60_000);
  let root = '';
  useTempDirPerSuite('option-keys', (dir) => (root = dir));
  let data: { x: tf.Tensor2D; y: tf.Tensor2D };
  let trainer: Trainer;
  let saved = '';
  let ckpt = '';
  before(async () => {
    data = formulaData(16);
    trainer = new Trainer({ model: buildMlp(), optimizer: 'adam', loss: 'mse', ...quiet });
    saved = path.join(root, 'model');
    ckpt = path.join(root, 'ckpt');
    await trainer.fit(data.x, data.y, { epochs: 1, batchSize: 8, verbose: 0, checkpoint: { dir: ckpt } });
    await trainer.save(saved);
  });
  after(() => {
    trainer.model.dispose();
    trainer.dispose();
    tf.dispose([data.x, data.y]);
  });

  /** Runs `call`, expecting a TrainerInputError matching `message`, with no tensor left behind. */
  async function refused(call: () => Promise<unknown>, message: RegExp): Promise<void> {
    const tensors = tf.memory().numTensors;
    const error = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, 'the call must fail').to.be.instanceOf(TrainerInputError);
    expect((error as Error).message).to.match(message);
    expect(tf.memory().numTensors).to.equal(tensors);
  }

  it('Trainer.load: a typo of plugins, and a key no load has', async () => {
    await refused(() => Trainer.load(saved, { ...quiet, plugin: ['@losskit/loss-mse'] } as never), /^Trainer\.load: unknown option 'plugin' \(did you mean 'plugins'\?\)\. Options are: plugins, logger, verbose, backend\.$/);
    await refused(() => Trainer.load(saved, { ...quiet, bogus: 1 } as never), /Trainer\.load: unknown option 'bogus'\. Options are/);
  });

  it('Trainer.load through a tf.io handler checks the same keys', async () => {
    let artifacts: tf.io.ModelArtifacts | undefined;
    await trainer.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    await refused(() => Trainer.load(tf.io.fromMemory(artifacts!), { ...quiet, verbos: 0 } as never), /unknown option 'verbos' \(did you mean 'verbose'\?\)/);
  });

  it('Trainer.resume: a typo of runId', async () => {
    await refused(() => Trainer.resume(ckpt, { ...quiet, runid: 'x' } as never), /^Trainer\.resume: unknown option 'runid' \(did you mean 'runId'\?\)\. Options are: .*runId\.$/);
  });

  it('fit: a typo in checkpoint options fails before the directory is touched', async () => {
    const fresh = path.join(root, 'never-created');
    await refused(
      () => trainer.fit(data.x, data.y, { epochs: 1, batchSize: 8, verbose: 0, checkpoint: { dir: fresh, kep: 1 } as never }),
      /^fit: checkpoint: unknown option 'kep' \(did you mean 'keep'\?\)\. Options are: dir, everyEpochs, keep, runId\.$/,
    );
    expect(fs.existsSync(fresh)).to.equal(false);
  });

  it('fit: a misspelt dir is named as a typo, not as a missing directory', async () => {
    await refused(
      () => trainer.fit(data.x, data.y, { epochs: 1, batchSize: 8, verbose: 0, checkpoint: { dirr: path.join(root, 'x') } as never }),
      /^fit: checkpoint: unknown option 'dirr' \(did you mean 'dir'\?\)/,
    );
  });

  it("fit: a checkpoint count given as a string says it is one", async () => {
    await refused(
      () => trainer.fit(data.x, data.y, { epochs: 1, batchSize: 8, verbose: 0, checkpoint: { dir: path.join(root, 'ck-string'), everyEpochs: '2' } as never }),
      /checkpoint\.everyEpochs must be a positive integer \(got "2", a string: write the number without quotes\)/,
    );
  });

  it('loadModelWithLoss: a typo of plugins', async () => {
    const plain = path.join(root, 'plain');
    await saveModelWithLoss(trainer.model, 'mse', plain);
    await refused(() => loadModelWithLoss(plain, { plugin: [] } as never), /^loadModelWithLoss: unknown option 'plugin' \(did you mean 'plugins'\?\)\. Options are: plugins\.$/);
  });

  it('the known keys still load, resume and checkpoint', async () => {
    const loaded = await Trainer.load(saved, { plugins: ['@losskit/loss-mse'], logger: () => {}, verbose: 0, backend: 'cpu' });
    const resumed = await Trainer.resume(ckpt, { ...quiet, runId: (await fs.promises.readdir(ckpt)).find((e) => !e.startsWith('.'))! });
    expect([loaded.epochsCompleted, resumed.epochsCompleted]).to.deep.equal([1, 1]);
    for (const t of [loaded, resumed]) {
      t.dispose();
      t.model.dispose();
    }
    await trainer.fit(data.x, data.y, { epochs: 1, batchSize: 8, verbose: 0, checkpoint: { dir: path.join(root, 'ck2'), everyEpochs: 1, keep: 1, runId: 'r1' } });
    expect(fs.readdirSync(path.join(root, 'ck2', 'r1'))).to.deep.equal(['epoch-000001']);
  });
});
