import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { fileSystemIO, Trainer, TrainerFileError } from '@losskit/trainer';
import { listCheckpoints } from '@losskit/trainer/persistence';
import { buildMlp, deadPid, formulaData, useTempDirPerTest } from './support/persistence-models.js';

const quiet = { backend: 'cpu' as const, verbose: false as const };

describe('Trainer.save / Trainer.load / checkpoints', function () {
  this.timeout(60_000);
  let dir: string;
  useTempDirPerTest('trainer-io', (made) => (dir = made));

  it('training continued after Trainer.load matches training that never stopped (same seed)', async () => {
    const { x, y } = formulaData(48);
    const fitOptions = { batchSize: 8, seed: 5, verbose: 0 as const };
    const straight = new Trainer({ model: buildMlp(), optimizer: tf.train.adam(0.02), loss: 'mse', metrics: ['mae'], ...quiet });
    const reference = await straight.fit(x, y, { ...fitOptions, epochs: 5 });

    const first = new Trainer({ model: buildMlp(), optimizer: tf.train.adam(0.02), loss: 'mse', metrics: ['mae'], ...quiet });
    const before = await first.fit(x, y, { ...fitOptions, epochs: 2 });
    await first.save(path.join(dir, 'saved'));
    first.model.dispose();
    first.optimizer.dispose();

    const loaded = await Trainer.load(path.join(dir, 'saved'), { verbose: false });
    expect(loaded.epochsCompleted).to.equal(2);
    expect(loaded.lossSpecs).to.deep.include({ name: 'mse' });
    const after = await loaded.fit(x, y, { ...fitOptions, epochs: 5, initialEpoch: loaded.epochsCompleted });
    for (const key of Object.keys(reference.history)) {
      expect([...before.history[key]!, ...after.history[key]!], key).to.deep.equal(reference.history[key]);
    }
    // Plain TF.js still loads the saved model.
    const plain = await tf.loadLayersModel(fileSystemIO(path.join(dir, 'saved')));
    expect(plain.countParams()).to.equal(loaded.model.countParams());
    plain.dispose();
    tf.dispose([x, y]);
    for (const t of [straight, loaded]) {
      t.model.dispose();
      t.optimizer.dispose();
      t.dispose();
    }
  });

  it('fit({ checkpoint, resume }) continues from the newest checkpoint and ignores leftover temp dirs', async () => {
    const { x, y } = formulaData(48);
    const root = path.join(dir, 'ckpt');
    const options = { batchSize: 8, seed: 9, verbose: 0 as const, checkpoint: { dir: root, everyEpochs: 2, keep: 2 } };
    const straight = new Trainer({ model: buildMlp(), optimizer: tf.train.rmsprop(0.01), loss: 'mse', ...quiet });
    const reference = await straight.fit(x, y, { ...options, checkpoint: { dir: path.join(dir, 'other') }, epochs: 6 });

    const first = new Trainer({ model: buildMlp(), optimizer: tf.train.rmsprop(0.01), loss: 'mse', ...quiet });
    await first.fit(x, y, { ...options, epochs: 3 });
    // everyEpochs 2 writes epoch 2, and the run's last epoch (3) is kept too.
    expect((await listCheckpoints(root)).map((c) => c.epoch)).to.deep.equal([2, 3]);
    // One run, one subdirectory: root/<runId>/epoch-NNNNNN; a killed writer left a temp dir in it.
    const [runId] = fs.readdirSync(root);
    const runDir = path.join(root, runId!);
    const leftover = path.join(runDir, `.tmp-epoch-000004-${deadPid()}-0000dead`);
    fs.mkdirSync(leftover);
    fs.writeFileSync(path.join(leftover, 'model.json'), '{');

    const tensors = tf.memory().numTensors;
    const second = new Trainer({ model: buildMlp(), optimizer: tf.train.rmsprop(0.01), loss: 'mse', ...quiet });
    const resumed = await second.fit(x, y, { ...options, epochs: 6, resume: true });
    expect(resumed.epoch).to.deep.equal([3, 4, 5]);
    expect(second.epochsCompleted).to.equal(6);
    expect(fs.readdirSync(root), 'the lock is released and no other run was made').to.deep.equal([runId]);
    expect(fs.readdirSync(runDir)).to.deep.equal(['epoch-000004', 'epoch-000006']);
    const last = JSON.parse(fs.readFileSync(path.join(runDir, 'epoch-000006', 'losskit.json'), 'utf8'));
    expect(last.history.loss).to.deep.equal(reference.history.loss);
    expect(last.seed).to.equal(9);
    // Second trainer's model and slots replaced the first's count; nothing else stays behind.
    first.model.dispose();
    first.optimizer.dispose();
    expect(tf.memory().numTensors).to.be.at.most(tensors);

    // Resuming a finished run runs no epoch.
    const third = new Trainer({ model: buildMlp(), optimizer: tf.train.rmsprop(0.01), loss: 'mse', ...quiet });
    expect((await third.fit(x, y, { ...options, epochs: 6, resume: true })).epoch).to.deep.equal([]);
    tf.dispose([x, y]);
    for (const t of [straight, second, third]) {
      t.model.dispose();
      t.optimizer.dispose();
    }
  });

  it('resume refuses a checkpoint written for another loss or optimizer', async () => {
    const { x, y } = formulaData(16);
    const root = path.join(dir, 'ckpt');
    const a = new Trainer({ model: buildMlp(), optimizer: tf.train.adam(0.01), loss: 'mse', ...quiet });
    await a.fit(x, y, { epochs: 1, verbose: 0, checkpoint: { dir: root } });
    const b = new Trainer({ model: buildMlp(), optimizer: tf.train.sgd(0.01), loss: 'mse', ...quiet });
    try {
      await b.fit(x, y, { epochs: 2, resume: true, checkpoint: { dir: root } });
      expect.fail('expected an error');
    } catch (error) {
      expect(error).to.be.instanceOf(TrainerFileError);
      expect((error as Error).message).to.match(/Adam optimizer state, but this trainer uses SGD/);
    }
    await expectNoCheckpointError();
    tf.dispose([x, y]);
    for (const t of [a, b]) {
      t.model.dispose();
      t.optimizer.dispose();
    }

    async function expectNoCheckpointError() {
      try {
        await Trainer.resume(path.join(dir, 'empty'));
        expect.fail('expected an error');
      } catch (error) {
        expect((error as Error).message).to.match(/no complete checkpoint in .*empty/);
      }
    }
  });
});
