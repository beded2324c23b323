import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import path from 'node:path';
import { InvalidOptionsError } from '@losskit/core';
import { Trainer, UnknownMetricError } from '@losskit/trainer';
import { useTempDirPerTest } from './support/persistence-models.js';
import { editJson, expectRefusal, freeTrainer, newTrainer, PLANTED, smallData, writeSave, type Json } from './support/corrupt-saves.js';

/**
 * Saved losses, lossWeights and metrics that the installed plugins or the saved model refuse are
 * faults of the file: a TrainerFileError naming the file and the field, never quoting the saved
 * values (the plugin's own error, which does, is kept as the cause). Before, they surfaced as if
 * the caller had passed them ("InvalidOptionsError ... (got \"<file contents>\")").
 */
describe('saved losses, lossWeights and metrics are reported as fields of the file', function () {
  this.timeout(60_000);
  let root = '';
  useTempDirPerTest('saved-settings', (dir) => (root = dir));

  async function editedSave(name: string, edit: (json: Json) => void): Promise<string> {
    const dir = await writeSave(path.join(root, name));
    editJson(path.join(dir, 'losskit.json'), edit);
    return dir;
  }

  it('a saved loss option the plugin refuses names losskit.json and the option, not its value', async () => {
    const dir = await editedSave('option', (json) => (json.losses.options = { bogus: PLANTED }));
    const error = await expectRefusal(() => Trainer.load(dir, { verbose: false }), /option\/losskit\.json: losses: the saved options of loss 'mse' are not valid for the installed plugin \('bogus'\)/);
    expect((error as { cause?: unknown }).cause).to.be.instanceOf(InvalidOptionsError);
    const odd = await editedSave('odd-key', (json) => (json.losses.options = { [`has space ${PLANTED}`]: 1 }));
    await expectRefusal(() => Trainer.load(odd, { verbose: false }), /losses: the saved options of loss 'mse' .*\(an option with an unusual name\)/);
  });

  it('a lossWeights list that does not fit the saved model names losskit.json and lossWeights', async () => {
    const dir = await editedSave('weights', (json) => (json.lossWeights = [1, 2, 3]));
    await expectRefusal(() => Trainer.load(dir, { verbose: false }), /weights\/losskit\.json: lossWeights must have one entry per output of the saved model \(1\)/);
  });

  it('an unknown saved metric names losskit.json and metrics, not the metric', async () => {
    const dir = await editedSave('metric', (json) => (json.metrics = [PLANTED]));
    const error = await expectRefusal(() => Trainer.load(dir, { verbose: false }), /metric\/losskit\.json: the saved metrics cannot be set up for the saved model \(UnknownMetricError\)/);
    expect((error as { cause?: unknown }).cause).to.be.instanceOf(UnknownMetricError);
  });

  it('the same through a tf.io handler and on resume from a checkpoint', async () => {
    const trainer = newTrainer();
    await trainer.ready();
    let artifacts: tf.io.ModelArtifacts | undefined;
    await trainer.save(tf.io.withSaveHandler(async (saved) => ((artifacts = saved), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    const losskit = structuredClone(artifacts!.userDefinedMetadata!.losskit) as { losses: { options: Record<string, unknown> } };
    losskit.losses.options = { bogus: PLANTED };
    const handler = { load: async () => ({ ...artifacts!, userDefinedMetadata: { losskit } }) };
    await expectRefusal(() => Trainer.load(handler, { verbose: false }), /the tf\.io handler.*: losses: the saved options of loss 'mse'/);

    const ckpt = path.join(root, 'ckpt');
    const { x, y } = smallData();
    await trainer.fit(x, y, { epochs: 1, batchSize: 2, checkpoint: { dir: ckpt, runId: 'r1' } });
    editJson(path.join(ckpt, 'r1', 'epoch-000001', 'losskit.json'), (json) => (json.losses.options = { bogus: PLANTED }));
    const resumed = newTrainer();
    await expectRefusal(() => resumed.fit(x, y, { epochs: 2, batchSize: 2, resume: true, checkpoint: { dir: ckpt, runId: 'r1' } }), /epoch-000001\/losskit\.json: losses: the saved options/);
    // A checkpoint of other losses than the trainer's is named by loss names, not by the saved spec's values.
    editJson(path.join(ckpt, 'r1', 'epoch-000001', 'losskit.json'), (json) => (json.losses = { ...json.losses, options: {}, reduction: 'sum' }));
    const other = await expectRefusal(
      () => resumed.fit(x, y, { epochs: 2, batchSize: 2, resume: true, checkpoint: { dir: ckpt, runId: 'r1' } }),
      /epoch-000001\/losskit\.json: the checkpoint's losses \('mse'\) differ from this trainer's \('mse'\) in their names, options, weights or reductions/,
    );
    expect(other.message, 'no saved spec quoted').not.to.match(/reduction"|\{/);
    freeTrainer(resumed);
    freeTrainer(trainer);
    tf.dispose([x, y]);
  });
});
