import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { Trainer } from '@losskit/trainer';
import { useTempDirPerTest } from './support/persistence-models.js';
import { dropOptimizerSlots, editJson, expectRefusal, freeTrainer, newTrainer, PLANTED, smallData, trainerValues, writeSave } from './support/corrupt-saves.js';

/**
 * A save whose model weights or optimizer slots do not fit is refused before anything is
 * written: on resume the trainer keeps its own weights and slots and trains on; on load no
 * optimizer is half-built. Real checkpoints and saves, corrupted on disk.
 */
describe('restoring a save checks weights and optimizer slots before touching anything', function () {
  this.timeout(60_000);
  let root = '';
  useTempDirPerTest('restore-checks', (dir) => (root = dir));

  /** A checkpoint of run r1 at epoch 2, corrupted by `corrupt(epochDir)`. */
  async function corruptCheckpoint(corrupt: (epochDir: string) => void): Promise<string> {
    const dir = path.join(root, 'ckpt');
    const trainer = newTrainer();
    const { x, y } = smallData();
    await trainer.fit(x, y, { epochs: 2, batchSize: 2, checkpoint: { dir, runId: 'r1' } });
    freeTrainer(trainer);
    tf.dispose([x, y]);
    corrupt(path.join(dir, 'r1', 'epoch-000002'));
    return dir;
  }

  /** Resumes a trainer with state of its own from `dir`: refused as `message`, the trainer unchanged and still training. */
  async function expectResumeRefused(dir: string, message: RegExp): Promise<void> {
    const trainer = newTrainer();
    const { x, y } = smallData();
    await trainer.fit(x, y, { epochs: 1, batchSize: 2 });
    const before = await trainerValues(trainer);
    await expectRefusal(() => trainer.fit(x, y, { epochs: 3, batchSize: 2, resume: true, checkpoint: { dir, runId: 'r1' } }), message);
    expect(await trainerValues(trainer), 'weights and optimizer slots as they were').to.deep.equal(before);
    const history = await trainer.fit(x, y, { epochs: 1, batchSize: 2 });
    expect(history.history.loss![0]).to.be.a('number').and.satisfy(Number.isFinite);
    freeTrainer(trainer);
    tf.dispose([x, y]);
  }

  it('resume: a weight saved as int32 where the model has float32 (same byte size) is refused, naming model.json and the weight', async () => {
    const dir = await corruptCheckpoint((epoch) => editJson(path.join(epoch, 'model.json'), (json) => (json.weightsManifest[0].weights[1].dtype = 'int32')));
    await expectResumeRefused(dir, /epoch-000002\/model\.json: weightsManifest weight 1 does not fit '.*bias' .*float32/);
  });

  it('resume: an empty optimizer slot list is refused and the trainer keeps its own slots', async () => {
    const dir = await corruptCheckpoint(dropOptimizerSlots);
    await expectResumeRefused(dir, /epoch-000002\/model\.json: optimizer\.weights ends before the Adam iteration count/);
  });

  it('resume: slots of the wrong shape are refused before the model weights are set', async () => {
    const dir = await corruptCheckpoint((epoch) => {
      for (const file of ['losskit.json', 'model.json']) {
        editJson(path.join(epoch, file), (json) => {
          const specs = file === 'losskit.json' ? json.optimizer.weights.map((w: { spec: unknown }) => w.spec) : json.weightsManifest[0].weights;
          for (const spec of specs) if (spec.group === 'optimizer' || file === 'losskit.json') if (spec.shape.length === 2) spec.shape = [6];
        });
      }
    });
    await expectResumeRefused(dir, /optimizer\.weights\[1\] must be a float32 slot of shape \[3, 2\]/);
  });

  it('load: an empty slot list and Adam slots under the class SGD are refused with the file named', async () => {
    const empty = await writeSave(path.join(root, 'empty'));
    dropOptimizerSlots(empty);
    await expectRefusal(() => Trainer.load(empty, { verbose: false }), /empty\/model\.json: optimizer\.weights ends before the Adam iteration count/);
    const sgd = await writeSave(path.join(root, 'sgd'));
    editJson(path.join(sgd, 'losskit.json'), (json) => Object.assign(json.optimizer, { className: 'SGD', config: { learningRate: 0.1 }, extras: {} }));
    await expectRefusal(() => Trainer.load(sgd, { verbose: false }), /sgd\/model\.json: optimizer\.weights does not hold the slots of a SGD optimizer .*0 slot tensor\(s\) per trainable variable/);
  });

  it('load: slots of the wrong shape are refused at load, not inside the next fit', async () => {
    const dir = await writeSave(path.join(root, 'shape'));
    for (const file of ['losskit.json', 'model.json']) {
      editJson(path.join(dir, file), (json) => {
        const specs = file === 'losskit.json' ? json.optimizer.weights.map((w: { spec: unknown }) => w.spec) : json.weightsManifest[0].weights.filter((s: { group?: string }) => s.group === 'optimizer');
        for (const spec of specs) if (spec.shape.length === 2) spec.shape = [6];
      });
    }
    await expectRefusal(() => Trainer.load(dir, { verbose: false }), /optimizer\.weights\[1\] must be a float32 slot of shape \[3, 2\] for the trainable variable/);
  });

  it('load: a topology or weights TF.js refuses are named by the file and field, the TF.js message (which quotes them) kept as the cause', async () => {
    const layer = await writeSave(path.join(root, 'layer'));
    editJson(path.join(layer, 'model.json'), (json) => (json.modelTopology.config.layers[0].class_name = PLANTED));
    const built = await expectRefusal(() => Trainer.load(layer, { verbose: false }), /layer\/model\.json: modelTopology cannot be built by TF\.js \(\w+\): it names a layer class that is not registered/);
    expect(String((built as { cause?: Error }).cause?.message)).to.include(PLANTED);
    const kernel = await writeSave(path.join(root, 'kernel'));
    editJson(path.join(kernel, 'model.json'), (json) => (json.weightsManifest[0].weights[0].shape = [2, 3]));
    await expectRefusal(() => Trainer.load(kernel, { verbose: false }), /kernel\/model\.json: the weights in weightsManifest do not fit the model its modelTopology describes/);
  });

  it('every optimizer losskit saves passes the checks and trains on after a load, saved before its first step and after it', async () => {
    const { x, y } = smallData();
    const optimizers: [string, () => tf.Optimizer][] = [
      ['sgd', () => tf.train.sgd(0.1)],
      ['momentum', () => tf.train.momentum(0.1, 0.9, true)],
      ['adam', () => tf.train.adam(0.01)],
      ['rmsprop', () => tf.train.rmsprop(0.01, 0.9, 0.1, 1e-7, false)],
      ['rmsprop-centered', () => tf.train.rmsprop(0.01, 0.9, 0.1, 1e-7, true)],
      ['adagrad', () => tf.train.adagrad(0.1)],
      ['adadelta', () => tf.train.adadelta(1, 0.95)],
    ];
    for (const [name, make] of optimizers) {
      for (const fit of [false, true]) {
        const dir = await writeSave(path.join(root, `${name}-${fit}`), make, fit);
        // TF.js's Momentum.dispose() does not free the -lr scalar its SGD base keeps: a leak of the class itself, measured here.
        const own = tf.memory().numTensors;
        make().dispose();
        const classLeak = tf.memory().numTensors - own;
        const tensors = tf.memory().numTensors;
        const loaded = await Trainer.load(dir, { verbose: false });
        const slots = await loaded.optimizer.getWeights();
        expect(slots.length, name).to.equal(JSON.parse(fs.readFileSync(path.join(dir, 'losskit.json'), 'utf8')).optimizer.weights.length);
        for (const { tensor } of slots) if (!(tensor instanceof tf.Variable)) tensor.dispose();
        await loaded.fit(x, y, { epochs: 1, batchSize: 2 });
        freeTrainer(loaded);
        expect(tf.memory().numTensors, `${name}: load frees what it made`).to.equal(tensors + classLeak);
      }
    }
    tf.dispose([x, y]);
  });
});
