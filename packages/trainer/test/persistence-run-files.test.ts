// The files of a checkpoint directory that say whose it is: a lock file that is not one gets the
// advice that frees the directory, and a checkpoint whose manifest claims another run or epoch
// than its place is refused before anything is restored.
import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { Trainer, TrainerFileError } from '@losskit/trainer';
import { LOCK_FILE } from '@losskit/trainer/persistence';
import { buildMlp, formulaData, useTempDirPerTest } from './support/persistence-models.js';

const quiet = { backend: 'cpu' as const, verbose: false as const };
const fitOptions = { batchSize: 8, verbose: 0 as const };

describe('checkpoint directory files that are not what they claim', function () {
  this.timeout(60_000);
  let root = '';
  useTempDirPerTest('run-files', (dir) => (root = dir));
  let data: { x: tf.Tensor2D; y: tf.Tensor2D };
  const trainers: Trainer[] = [];
  const newTrainer = () => {
    const trainer = new Trainer({ model: buildMlp(), optimizer: 'adam', loss: 'mse', ...quiet });
    trainers.push(trainer);
    return trainer;
  };
  before(() => (data = formulaData(16)));
  after(() => tf.dispose([data.x, data.y]));
  afterEach(() => {
    for (const t of trainers.splice(0)) {
      t.model.dispose();
      t.dispose();
    }
  });

  /** The error `call` fails with (it must fail), with no tensor left behind. */
  async function failure(call: () => Promise<unknown>): Promise<Error> {
    const tensors = tf.memory().numTensors;
    const error = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, 'the call must fail').to.be.instanceOf(TrainerFileError);
    expect(tf.memory().numTensors).to.equal(tensors);
    return error as Error;
  }

  const notLocks: [string, string, RegExp][] = [
    ['garbage', 'garbage', /\(it is not valid JSON\)/],
    ['JSON with other fields', JSON.stringify({ owner: 'someone' }), /\(its fields are not a lock's/],
    ['a file larger than any lock', 'x'.repeat(1 << 20), /\(it is larger than any lock losskit writes\)/],
  ];
  for (const [what, content, why] of notLocks) {
    it(`a lock file that is ${what}: the advice is to delete it by hand, and that works`, async () => {
      const ckpt = path.join(root, 'ckpt');
      fs.mkdirSync(ckpt);
      const lock = path.join(ckpt, LOCK_FILE);
      fs.writeFileSync(lock, content);
      const trainer = newTrainer();
      for (const resume of [false, true]) {
        const call = () => trainer.fit(data.x, data.y, { ...fitOptions, epochs: 1, resume, checkpoint: { dir: ckpt } });
        const error = await failure(call);
        expect(error.message).to.include(`${lock} is not a losskit lock file`).and.to.match(why);
        expect(error.message).to.include(`If no run uses ${ckpt}, delete it by hand`);
        expect(error.message).to.not.match(/restore it from a complete save/);
        expect(fs.readFileSync(lock, 'utf8'), 'a file losskit does not recognise is never removed').to.equal(content);
      }
      fs.unlinkSync(lock);
      await trainer.fit(data.x, data.y, { ...fitOptions, epochs: 1, checkpoint: { dir: ckpt, runId: 'r1' } });
      expect(fs.readdirSync(path.join(ckpt, 'r1'))).to.deep.equal(['epoch-000001']);
    });
  }

  const strangers: [string, { id: string; nextEpoch: number }][] = [
    ['another run', { id: 'someone-else', nextEpoch: 2 }],
    ['an epoch its directory is not', { id: 'r1', nextEpoch: 1000 }],
  ];
  for (const [what, run] of strangers) {
    it(`a checkpoint whose manifest claims ${what} is refused by fit({ resume }) and Trainer.resume`, async () => {
      const ckpt = path.join(root, 'ckpt');
      await newTrainer().fit(data.x, data.y, { ...fitOptions, epochs: 2, checkpoint: { dir: ckpt, runId: 'r1' } });
      const checkpoint = path.join(ckpt, 'r1', 'epoch-000002');
      const manifestFile = path.join(checkpoint, 'losskit.json');
      fs.writeFileSync(manifestFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(manifestFile, 'utf8')), run }));

      const fresh = newTrainer();
      const weights = fresh.model.getWeights().map((w) => w.dataSync().slice());
      const refusals = [
        () => fresh.fit(data.x, data.y, { ...fitOptions, epochs: 5, resume: true, checkpoint: { dir: ckpt, runId: 'r1' } }),
        () => Trainer.resume(ckpt, { ...quiet, runId: 'r1' }),
      ];
      for (const call of refusals) {
        const error = await failure(call);
        expect(error.message).to.include(`${manifestFile} records run '${run.id}' at epoch ${run.nextEpoch}`);
        expect(error.message).to.include("it is checkpoint epoch-000002 of run 'r1': it does not belong to this run and epoch");
        expect(error.message).to.include(`Move ${checkpoint} out of ${path.join(ckpt, 'r1')}`);
      }
      // Refused before anything was restored: the fresh trainer is as it was.
      expect(fresh.epochsCompleted).to.equal(0);
      fresh.model.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).to.deep.equal(Array.from(weights[i]!)));

      // The fix the message gives: with it moved away, the run resumes from epoch 1 and trains 4 more.
      fs.renameSync(checkpoint, path.join(root, 'moved-away'));
      const history = await fresh.fit(data.x, data.y, { ...fitOptions, epochs: 5, resume: true, checkpoint: { dir: ckpt, runId: 'r1' } });
      expect(history.epoch).to.deep.equal([1, 2, 3, 4]);
      expect(fresh.epochsCompleted).to.equal(5);
    });
  }
});
