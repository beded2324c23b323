import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { Trainer } from '@losskit/trainer';
import { readTrainerManifest } from '@losskit/trainer/persistence';
import { buildMlp, deadPid, formulaData, useTempDirPerTest } from './support/persistence-models.js';

const quiet = { backend: 'cpu' as const, verbose: false as const };

/** buildMlp with a Dropout layer (no layer seed) in the middle: in-layer randomness to continue. */
function dropoutMlp(): tf.LayersModel {
  const base = buildMlp(9);
  const model = tf.sequential({ layers: [base.layers[0]!, tf.layers.dropout({ rate: 0.3 }), base.layers[1]!] });
  return model;
}

/** What save's intermediate directories are called: `.tmp-<name>-<pid>-<8 hex>` / `.trash-...`, here of a writer that died. */
const killedWriter = deadPid();
function leftoverName(kind: 'tmp' | 'trash', dir: string, hex: string): string {
  return path.join(path.dirname(dir), `.${kind}-${path.basename(dir)}-${killedWriter}-${hex}`);
}

describe('Trainer.save records the seed; Trainer.load recovers a save killed between its renames', function () {
  this.timeout(60_000);
  let root: string;
  let data: { x: tf.Tensor2D; y: tf.Tensor2D };
  useTempDirPerTest('seed-recovery', (made) => (root = made));
  before(() => {
    data = formulaData(40);
  });
  after(() => tf.dispose([data.x, data.y]));

  const fitOptions = { batchSize: 8, verbose: 0 as const };
  const newTrainer = () => new Trainer({ model: dropoutMlp(), optimizer: tf.train.adam(0.02), loss: 'mse', ...quiet });

  it('save records the seed of the last fit; a loaded trainer continues it without being told (Dropout included)', async () => {
    const straight = await newTrainer().fit(data.x, data.y, { ...fitOptions, epochs: 4, seed: 21 });

    const first = newTrainer();
    const before = await first.fit(data.x, data.y, { ...fitOptions, epochs: 2, seed: 21 });
    const dir = path.join(root, 'saved');
    await first.save(dir);
    expect((await readTrainerManifest(dir)).seed).to.equal(21);

    const loaded = await Trainer.load(dir, { verbose: false });
    expect(loaded.seed).to.equal(21);
    const after = await loaded.fit(data.x, data.y, { ...fitOptions, epochs: 4, initialEpoch: loaded.epochsCompleted });
    expect([...before.history.loss!, ...after.history.loss!]).to.deep.equal(straight.history.loss);

    // A fit without a seed records the one drawn for it.
    const unseeded = newTrainer();
    await unseeded.fit(data.x, data.y, { ...fitOptions, epochs: 1 });
    await unseeded.save(path.join(root, 'unseeded'));
    expect((await readTrainerManifest(path.join(root, 'unseeded'))).seed).to.be.a('string').and.not.equal('');
  });

  it('restores the new (.tmp-) save when dir is missing, says so, and removes the previous (.trash-) one', async () => {
    const dir = path.join(root, 'model');
    const trainer = newTrainer();
    await trainer.fit(data.x, data.y, { ...fitOptions, epochs: 1, seed: 3 });
    const first = path.join(root, 'first');
    await trainer.save(first);
    await trainer.fit(data.x, data.y, { ...fitOptions, epochs: 2, initialEpoch: 1, seed: 3 });
    await trainer.save(dir);
    // The state save(dir) leaves when killed between its two renames: the old save moved to
    // .trash-, the new complete one still under .tmp-, nothing under `dir`. (Made after the
    // saves: a save cleans up a dead writer's leftovers of its target first.)
    const tmp = leftoverName('tmp', dir, '0000bbbb');
    fs.renameSync(dir, tmp);
    fs.renameSync(first, leftoverName('trash', dir, '0000aaaa'));
    // A sibling save whose name only starts like this one's must not be mistaken for it.
    const cousin = path.join(root, 'model-2');
    await trainer.save(cousin);
    fs.renameSync(cousin, leftoverName('tmp', cousin, '0000cccc'));

    const lines: string[] = [];
    const loaded = await Trainer.load(dir, { logger: (line) => lines.push(line) });
    expect(loaded.epochsCompleted).to.equal(2);
    expect(lines.filter((line) => line.includes('interrupted save'))).to.deep.equal([
      `[losskit] ${dir} was missing after an interrupted save; restored the new save from ${path.basename(tmp)} and removed ${path.basename(leftoverName('trash', dir, '0000aaaa'))}`,
    ]);
    expect(fs.readdirSync(root).sort()).to.deep.equal([path.basename(leftoverName('tmp', cousin, '0000cccc')), 'model']);
    loaded.model.dispose();
    loaded.optimizer.dispose();
  });

  it('restores the previous (.trash-) save when the new one is incomplete', async () => {
    const dir = path.join(root, 'model');
    const trainer = newTrainer();
    await trainer.fit(data.x, data.y, { ...fitOptions, epochs: 1, seed: 4 });
    await trainer.save(dir);
    const trash = leftoverName('trash', dir, '0000dddd');
    fs.renameSync(dir, trash);
    // A .tmp- directory killed mid-write: files but no losskit.json (written last).
    const tmp = leftoverName('tmp', dir, '0000eeee');
    fs.mkdirSync(tmp);
    fs.writeFileSync(path.join(tmp, 'model.json'), '{"truncated');

    const lines: string[] = [];
    const loaded = await Trainer.load(dir, { logger: (line) => lines.push(line) });
    expect(loaded.epochsCompleted).to.equal(1);
    expect(lines.find((line) => line.includes('interrupted save'))).to.equal(
      `[losskit] ${dir} was missing after an interrupted save; restored the previous save from ${path.basename(trash)} and removed ${path.basename(tmp)}`,
    );
    expect(fs.readdirSync(root)).to.deep.equal(['model']);
    loaded.model.dispose();
    loaded.optimizer.dispose();
  });

  it('with no complete sibling, a missing dir is still the usual error and nothing is touched', async () => {
    const dir = path.join(root, 'model');
    const tmp = leftoverName('tmp', dir, '0000ffff');
    fs.mkdirSync(tmp);
    let failure: unknown;
    await Trainer.load(dir, quiet).catch((error: unknown) => (failure = error));
    expect((failure as Error)?.message).to.contain(path.join(dir, 'losskit.json'));
    expect(fs.readdirSync(root)).to.deep.equal([path.basename(tmp)]);
  });
});
