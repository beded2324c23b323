import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { getLossRegistry } from '@losskit/core';
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { loadModelWithLoss, saveModelWithLoss, SaveTargetError, Trainer } from '@losskit/trainer';
import { buildMlp, formulaData, useTempDirPerTest } from './support/persistence-models.js';
import { disposeTrainer, memoryHandler, predictions } from './support/tfio.js';

// The other ways a model travels with its loss: a plain tf.LayersModel compiled with a losskit
// loss (saveModelWithLoss / loadModelWithLoss), and directories in the earlier format 2.

const quiet = { backend: 'cpu' as const, verbose: false as const };
const fitOptions = { batchSize: 8, seed: 5, verbose: 0 as const };

describe('plain models with their loss, and format 2 directories', function () {
  this.timeout(60_000);
  let dir: string;
  useTempDirPerTest('tfio-compat', (made) => (dir = made));

  it('saveModelWithLoss / loadModelWithLoss: a plain model compiled with asTfjsLoss() round-trips with its loss, through a handler and a directory', async () => {
    const { x, y } = formulaData(32);
    const loss = await getLossRegistry().resolve({ name: 'mse', reduction: 'sum' });
    const model = buildMlp(6);
    model.compile({ optimizer: tf.train.adam(0.01), loss: loss.asTfjsLoss() });
    await model.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    const expected = await predictions(model, x);
    const evaluated = model.evaluate(x, y) as tf.Scalar;
    const expectedLoss = (await evaluated.data())[0]!;
    evaluated.dispose();

    const handler = memoryHandler();
    const tensors = tf.memory().numTensors;
    await saveModelWithLoss(model, loss, handler);
    const target = path.join(dir, 'plain');
    await saveModelWithLoss(model, loss, target);
    expect(fs.readdirSync(target).sort()).to.deep.equal(['model.json', 'weights.bin']);
    for (const source of [handler, target]) {
      const restored = await loadModelWithLoss(source);
      expect(restored.loss.spec).to.deep.include({ name: 'mse', reduction: 'sum' });
      expect(restored.model.optimizer.getClassName()).to.equal('Adam');
      expect(await predictions(restored.model, x)).to.deep.equal(expected);
      const again = restored.model.evaluate(x, y) as tf.Scalar;
      expect((await again.data())[0]).to.equal(expectedLoss);
      again.dispose();
      // Compiled and ready: it trains on.
      const history = await restored.model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
      expect(history.history.loss![0]).to.be.a('number');
      restored.model.dispose();
      restored.loss.dispose();
    }
    expect(tf.memory().numTensors, 'saves + loads + dispose').to.equal(tensors);
    // Directory rules as for a trainer save: a directory holding other files is refused.
    const foreign = path.join(dir, 'foreign');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'notes.txt'), 'mine');
    const refused = await saveModelWithLoss(model, loss, foreign).then(() => undefined, (e: unknown) => e);
    expect(refused).to.be.instanceOf(SaveTargetError);
    expect(fs.readdirSync(foreign)).to.deep.equal(['notes.txt']);
    // A trainer save is not a plain model save: the message says which loader to use.
    const trainer = new Trainer({ model: buildMlp(), optimizer: 'sgd', loss: 'mse', ...quiet });
    const trainerHandler = memoryHandler();
    await trainer.save(trainerHandler);
    const wrong = await loadModelWithLoss(trainerHandler).then(() => undefined, (e: unknown) => e as Error);
    expect(wrong?.message).to.match(/holds no loss saved by saveModelWithLoss .* It holds a trainer save: load it with Trainer\.load/);
    disposeTrainer(trainer);
    expect(tf.memory().numTensors, 'the refused load left nothing').to.equal(tensors);
    tf.dispose([x, y]);
    model.dispose();
    loss.dispose();
  });

  it('a format 2 directory (optimizer state in optimizer.bin, as earlier versions wrote) still loads and continues the run exactly', async () => {
    const { x, y } = formulaData(48);
    const straight = new Trainer({ model: buildMlp(8), optimizer: tf.train.adam(0.02), loss: 'mse', ...quiet });
    const reference = await straight.fit(x, y, { ...fitOptions, epochs: 3 });
    const first = new Trainer({ model: buildMlp(8), optimizer: tf.train.adam(0.02), loss: 'mse', ...quiet });
    const before = await first.fit(x, y, { ...fitOptions, epochs: 1 });
    const saved = path.join(dir, 'v2');
    await first.save(saved);
    const expected = await predictions(first.model, x);
    disposeTrainer(first);
    rewriteAsFormat2(saved);
    expect(fs.readdirSync(saved).sort()).to.deep.equal(['losskit.json', 'model.json', 'optimizer.bin', 'weights.bin']);

    const loaded = await Trainer.load(saved, { verbose: false });
    expect(await predictions(loaded.model, x)).to.deep.equal(expected);
    const after = await loaded.fit(x, y, { ...fitOptions, epochs: 3, initialEpoch: loaded.epochsCompleted });
    expect([...before.history.loss!, ...after.history.loss!]).to.deep.equal(reference.history.loss);
    tf.dispose([x, y]);
    disposeTrainer(straight);
    disposeTrainer(loaded);
  });
});

/**
 * Turns a format 3 save into the layout format 2 had: weights.bin with the model's weights only,
 * the optimizer's slots (named slot-N, no group) in optimizer.bin named by losskit.json, no
 * manifest in model.json.
 */
function rewriteAsFormat2(dir: string): void {
  type Spec = { name: string; shape: number[]; dtype: string; group?: string };
  const modelJson = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'losskit.json'), 'utf8'));
  const specs = modelJson.weightsManifest[0].weights as Spec[];
  const modelSpecs = specs.filter((spec) => spec.group !== 'optimizer');
  const modelBytes = modelSpecs.reduce((sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1) * 4, 0);
  const weights = fs.readFileSync(path.join(dir, 'weights.bin'));
  fs.writeFileSync(path.join(dir, 'weights.bin'), weights.subarray(0, modelBytes));
  fs.writeFileSync(path.join(dir, 'optimizer.bin'), weights.subarray(modelBytes));
  modelJson.weightsManifest[0].weights = modelSpecs;
  delete modelJson.userDefinedMetadata;
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(modelJson));
  manifest.formatVersion = 2;
  manifest.optimizer.file = 'optimizer.bin';
  manifest.optimizer.weights = manifest.optimizer.weights.map(({ name, spec }: { name: string; spec: Spec }, i: number) => {
    const { group: _group, ...plain } = spec;
    return { name, spec: { ...plain, name: `slot-${i}` } };
  });
  fs.writeFileSync(path.join(dir, 'losskit.json'), JSON.stringify(manifest));
}
