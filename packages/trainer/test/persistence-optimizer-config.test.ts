import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import path from 'node:path';
import { OptimizerOptionsError, Trainer, TrainingOptimizer } from '@losskit/trainer';
import { useTempDirPerTest } from './support/persistence-models.js';
import { dropOptimizerSlots, editJson, expectRefusal, PLANTED, writeSave, type Json } from './support/corrupt-saves.js';

/**
 * The saved optimizer config is checked per class (exactly the keys TF.js's getConfig writes,
 * finite numbers in range) and its `extras` against the class, before fromConfig builds
 * anything: TF.js would train to NaN on a string rate, fail inside tensor() on a missing beta1,
 * ignore unknown keys. A saved TrainingOptimizer's inner class is looked up as strictly.
 */
describe('a saved optimizer config is checked for the class it names', function () {
  this.timeout(60_000);
  let root = '';
  useTempDirPerTest('optimizer-config', (dir) => (root = dir));
  let cases = 0;

  async function refusedWith(edit: (optimizer: Json) => void, message: RegExp, optimizer: string | (() => tf.Optimizer) = 'adam'): Promise<void> {
    const dir = await writeSave(path.join(root, `case-${cases++}`), optimizer);
    editJson(path.join(dir, 'losskit.json'), (json) => edit(json.optimizer));
    await expectRefusal(() => Trainer.load(dir, { verbose: false }), message);
  }

  it('a learning rate that is a string, negative or missing is refused, naming the field', async () => {
    await refusedWith((o) => (o.config.learningRate = PLANTED), /case-\d+\/losskit\.json: optimizer\.config\.learningRate: Invalid input: expected number/);
    await refusedWith((o) => (o.config.learningRate = -1), /optimizer\.config\.learningRate: must be >= 0/);
    await refusedWith((o) => delete o.config.beta1, /optimizer\.config\.beta1: Invalid input: expected number, received undefined/);
    await refusedWith((o) => (o.config.beta2 = 1), /optimizer\.config\.beta2: must be in \[0, 1\)/);
  });

  it('an unknown config key is refused, and the message lists the keys the class has', async () => {
    await refusedWith((o) => (o.config[PLANTED] = 1), /optimizer\.config: has an unknown key\. The config of the Adam optimizer has exactly the keys learningRate, beta1, beta2, epsilon/);
    await refusedWith((o) => (o.config = { learningRate: 0.1, [PLANTED]: 1 }), /the SGD optimizer has exactly the keys learningRate/, 'sgd');
    await refusedWith((o) => (o.config.centered = PLANTED), /optimizer\.config\.centered: Invalid input: expected boolean/, 'rmsprop');
  });

  it('extras the class does not keep, or outside [0, 1], are refused', async () => {
    await refusedWith((o) => (o.extras[PLANTED] = 0.5), /optimizer\.extras has a key the Adam optimizer does not keep \(it keeps accBeta1, accBeta2\)/);
    await refusedWith((o) => (o.extras.accBeta1 = 1e30), /optimizer\.extras\.accBeta1 must be in \[0, 1\]/);
    await refusedWith((o) => (o.extras = { accBeta1: 0.5 }), /SGD optimizer does not keep \(it keeps none\)/, 'sgd');
  });

  it("a TrainingOptimizer's inner class must be an own entry of TF.js's map and an optimizer", async () => {
    for (const inner of ['toString', 'constructor', '__proto__x', 'Dense', 'LosskitTrainingOptimizer']) {
      const dir = await writeSave(path.join(root, `inner-${cases++}`), () => new TrainingOptimizer({ optimizer: 'sgd' }));
      dropOptimizerSlots(dir);
      editJson(path.join(dir, 'losskit.json'), (json) => (json.optimizer.config.optimizer = { className: inner, config: {} }));
      await expectRefusal(() => Trainer.load(dir, { verbose: false }), /losskit\.json: optimizer\.config\.optimizer\.className does not name a TF\.js optimizer a TrainingOptimizer wraps/);
    }
    await refusedWith(
      (o) => (o.config.optimizer.config.learningRate = PLANTED),
      /optimizer\.config\.optimizer\.config\.learningRate: Invalid input/,
      () => new TrainingOptimizer({ optimizer: 'adam', clipnorm: 1 }),
    );
    await refusedWith((o) => (o.config.clipvalue = 1), /sets clipnorm and clipvalue/, () => new TrainingOptimizer({ optimizer: 'adam', clipnorm: 1 }));
    await refusedWith(
      (o) => (o.config.learningRate = { name: 'cosine-decay', options: { [PLANTED]: 1 } }),
      /optimizer\.config\.learningRate\.options are not valid options of the schedule 'cosine-decay'/,
      () => new TrainingOptimizer({ optimizer: 'sgd', learningRate: { name: 'cosine-decay', options: { initialLearningRate: 0.1, decaySteps: 10 } } }),
    );
  });

  it('TrainingOptimizer.fromConfig itself refuses prototype names and classes that are not optimizers', () => {
    const tensors = tf.memory().numTensors;
    const build = (className: string) => () => TrainingOptimizer.fromConfig(TrainingOptimizer, { optimizer: { className, config: {} }, learningRate: 0.1 });
    for (const name of ['toString', 'constructor', 'hasOwnProperty']) expect(build(name)).to.throw(OptimizerOptionsError, /inner optimizer class is not known to TF\.js/);
    expect(build('Dense')).to.throw(OptimizerOptionsError, /a TF\.js class but not an optimizer/);
    // A config the TrainingOptimizer refuses frees the inner optimizer it built (Adam makes variables).
    const bad = () => TrainingOptimizer.fromConfig(TrainingOptimizer, { optimizer: { className: 'Adam', config: { learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } }, learningRate: 0.1, clipnorm: -1 });
    expect(bad).to.throw(OptimizerOptionsError);
    expect(tf.memory().numTensors).to.equal(tensors);
  });
});
