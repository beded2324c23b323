// What a save does with what other saves of the same directory left: the copies a killed save
// left beside it (its replace window, a real SIGKILL) survive a save that fails, and two saves
// racing in one process leave no copy behind.
import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Trainer, TrainerFileError } from '@losskit/trainer';
import { buildMlp, formulaData, useTempDirPerTest } from './support/persistence-models.js';

const quiet = { backend: 'cpu' as const, verbose: false as const };
const SAVE_WINDOW = fileURLToPath(new URL('./fixtures/save-window.mjs', import.meta.url));

/** Runs save-window.mjs: a save over a previous one, SIGKILLed between its two renames. */
async function killInReplaceWindow(dir: string): Promise<void> {
  const child = spawn(process.execPath, [SAVE_WINDOW, dir, 'window'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<string | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.includes('in-window')) child.kill('SIGKILL');
  });
  expect(await exited, `the child was not killed in the window: ${out} ${err}`).to.equal('SIGKILL');
}

/** The sibling names without their pid and random tail. */
const kinds = (root: string) => fs.readdirSync(root).map((name) => name.replace(/-\d+-[0-9a-f]{8}$/, '')).sort();

describe('save keeps what an interrupted save left until its own copy is in place', function () {
  this.timeout(120_000);
  let root = '';
  useTempDirPerTest('leftovers', (dir) => (root = dir));
  let data: { x: tf.Tensor2D; y: tf.Tensor2D };
  before(() => (data = formulaData(16)));
  after(() => tf.dispose([data.x, data.y]));

  const failingSaves: [string, (dir: string) => Promise<void>][] = [
    [
      'an Adamax trainer (its state cannot be exported)',
      async (dir) => {
        const adamax = new Trainer({ model: buildMlp(), optimizer: 'adamax', loss: 'mse', ...quiet });
        try {
          await adamax.fit(data.x, data.y, { epochs: 1, batchSize: 8, verbose: 0 });
          await adamax.save(dir);
        } finally {
          adamax.model.dispose();
          adamax.dispose();
        }
      },
    ],
    [
      'a history the manifest schema refuses',
      async (dir) => {
        const trainer = new Trainer({ model: buildMlp(), optimizer: 'adam', loss: 'mse', ...quiet });
        try {
          await trainer.save(dir, { history: { loss: ['not a number'] } as never });
        } finally {
          trainer.model.dispose();
          trainer.dispose();
        }
      },
    ],
  ];

  for (const [what, failingSave] of failingSaves) {
    it(`a failing save (${what}) leaves both complete copies, and load still restores the new one`, async () => {
      const dir = path.join(root, 'model');
      await killInReplaceWindow(dir);
      expect(kinds(root)).to.deep.equal(['.tmp-model', '.trash-model']);
      const before = fs.readdirSync(root).sort();

      const tensors = tf.memory().numTensors;
      const error = await failingSave(dir).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(TrainerFileError);
      expect(tf.memory().numTensors, 'no tensor left by the failed save').to.equal(tensors);
      expect(fs.readdirSync(root).sort(), 'the killed save’s copies are untouched').to.deep.equal(before);

      const loaded = await Trainer.load(dir, quiet);
      try {
        expect(loaded.epochsCompleted, 'the new save of the killed writer').to.equal(2);
        expect(fs.readdirSync(root)).to.deep.equal(['model']);
      } finally {
        loaded.model.dispose();
        loaded.dispose();
      }
    });
  }

  it('a save that succeeds over the interrupted one removes its leftovers only then', async () => {
    const dir = path.join(root, 'model');
    await killInReplaceWindow(dir);
    const trainer = new Trainer({ model: buildMlp(), optimizer: 'adam', loss: 'mse', ...quiet });
    try {
      trainer.epochsCompleted = 7;
      await trainer.save(dir);
      expect(fs.readdirSync(root)).to.deep.equal(['model']);
      const loaded = await Trainer.load(dir, quiet);
      expect(loaded.epochsCompleted).to.equal(7);
      loaded.model.dispose();
      loaded.dispose();
    } finally {
      trainer.model.dispose();
      trainer.dispose();
    }
  });

  it('two saves of one directory at once: the loser says so and leaves no copy behind', async () => {
    const dir = path.join(root, 'model');
    const trainers = [1, 2].map((epochs) => {
      const trainer = new Trainer({ model: buildMlp(epochs), optimizer: 'adam', loss: 'mse', ...quiet });
      trainer.epochsCompleted = epochs;
      return trainer;
    });
    try {
      await trainers[0]!.save(dir);
      const tensors = tf.memory().numTensors;
      let raced = 0;
      for (let round = 0; round < 10; round++) {
        const outcomes = await Promise.allSettled(trainers.map((t) => t.save(dir)));
        for (const outcome of outcomes) {
          if (outcome.status === 'fulfilled') continue;
          raced++;
          expect(outcome.reason).to.be.instanceOf(TrainerFileError);
          expect((outcome.reason as Error).message).to.match(/another save of the same directory got there first/).and.to.match(/one place at a time/);
        }
        expect(outcomes.some((o) => o.status === 'fulfilled'), 'one of the two saves lands').to.equal(true);
        expect(fs.readdirSync(root), `round ${round}: only the save itself`).to.deep.equal(['model']);
        const loaded = await Trainer.load(dir, quiet);
        expect(loaded.epochsCompleted).to.be.oneOf([1, 2]);
        loaded.model.dispose();
        loaded.dispose();
      }
      expect(tf.memory().numTensors).to.equal(tensors);
      // Both saves are started in one tick and race on the thread pool: in practice most rounds
      // collide (9 of 10 when this was found); one collision is enough to exercise the path.
      expect(raced, 'the saves collided at least once').to.be.greaterThan(0);
    } finally {
      for (const t of trainers) {
        t.model.dispose();
        t.dispose();
      }
    }
  });
});
