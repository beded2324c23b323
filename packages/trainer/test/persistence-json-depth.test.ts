import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { Trainer } from '@losskit/trainer';
import { READ_LIMITS } from '@losskit/trainer/persistence';
import { useTempDirPerTest } from './support/persistence-models.js';
import { expectRefusal, newTrainer, freeTrainer, writeSave } from './support/corrupt-saves.js';

/**
 * Valid JSON nested thousands of levels deep overflowed the recursive parsers: a bare RangeError
 * from zod (depth 1500-2500), or "not valid JSON ... cut short" for a valid file (3000 and more).
 * Nesting is now bounded by READ_LIMITS.jsonDepth, counted without recursion before any parser.
 */
describe('JSON nesting in a save is bounded before any parser recurses', function () {
  this.timeout(60_000);
  let root = '';
  useTempDirPerTest('json-depth', (dir) => (root = dir));
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
  const tooDeep = new RegExp(`nests arrays and objects more than ${READ_LIMITS.jsonDepth} levels deep`);

  it('a loss option in losskit.json nested 2000 or 5000 deep is refused as too deep, naming losskit.json', async () => {
    expect(READ_LIMITS.jsonDepth).to.equal(200);
    for (const depth of [2000, 5000]) {
      const dir = await writeSave(path.join(root, `opts-${depth}`));
      const file = path.join(dir, 'losskit.json');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"options": {}', `"options": {"a": ${nested(depth)}}`));
      JSON.parse(fs.readFileSync(file, 'utf8')); // valid JSON
      const error = await expectRefusal(() => Trainer.load(dir, { verbose: false }), new RegExp(`opts-${depth}/losskit\\.json \\(losskit trainer state\\) ${tooDeep.source}`));
      expect(error.message).not.to.match(/not valid JSON|cut short/);
    }
  });

  it('a modelTopology in model.json nested 2000 or 5000 deep is refused as too deep, naming model.json', async () => {
    for (const depth of [2000, 5000]) {
      const dir = await writeSave(path.join(root, `topo-${depth}`));
      const file = path.join(dir, 'model.json');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"modelTopology":{', `"modelTopology":{"deep":${nested(depth)},`));
      await expectRefusal(() => Trainer.load(dir, { verbose: false }), new RegExp(`topo-${depth}/model\\.json \\(model topology\\) ${tooDeep.source}`));
    }
  });

  it('artifacts from a tf.io handler nested 3000 deep are refused the same way', async () => {
    const trainer = newTrainer();
    await trainer.ready();
    let artifacts: tf.io.ModelArtifacts | undefined;
    await trainer.save(tf.io.withSaveHandler(async (saved) => ((artifacts = saved), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
    freeTrainer(trainer);
    let deep: unknown = [];
    for (let i = 0; i < 3000; i++) deep = [deep];
    const losskit = structuredClone(artifacts!.userDefinedMetadata!.losskit) as { losses: { options: Record<string, unknown> } };
    losskit.losses.options = { a: deep };
    const handler = { load: async () => ({ ...artifacts!, userDefinedMetadata: { losskit } }) };
    await expectRefusal(() => Trainer.load(handler, { verbose: false }), tooDeep);
  });

  it('brackets inside strings do not count, and nesting within the limit reaches the schema checks', async () => {
    const dir = await writeSave(path.join(root, 'strings'));
    const file = path.join(dir, 'losskit.json');
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace('"options": {}', `"options": {"a": ${JSON.stringify(nested(5000))}}`));
    const inString = await expectRefusal(() => Trainer.load(dir, { verbose: false }), /options/, Error);
    expect(inString.message).not.to.match(tooDeep);
    fs.writeFileSync(file, text.replace('"options": {}', `"options": {"a": ${nested(150)}}`));
    const within = await expectRefusal(() => Trainer.load(dir, { verbose: false }), /options/, Error);
    expect(within.message).not.to.match(tooDeep);
    expect(within).not.to.be.instanceOf(RangeError);
  });
});
