import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { Trainer } from '@losskit/trainer';
import { seedModel, uniform } from './trainer-helpers.js';
import { WORKER_IMPORTS } from './workers-helpers.js';

/**
 * Who hears what: a `logger` given explicitly gets every notice (skipped batches, the workers'
 * timing line, backend lines); `verbose`, on the trainer or overridden by the fit, governs only
 * the progress lines. Without a logger, a trainer with verbose 0 writes nothing to stderr.
 */
describe('Trainer: logger and verbose', function () {
  this.timeout(120_000);
  // Made in before(): at load time another file's backend (wasm) may not be ready.
  let x: tf.Tensor;
  // Row 0 is NaN: with nanPolicy 'skip-batch' the first batch is skipped and a notice says so.
  let y: tf.Tensor;
  const skipped = '[losskit] epoch 1: skipped 1 batch(es) with a non-finite loss';
  const fitOptions = { epochs: 1, batchSize: 4, shuffle: false, nanPolicy: 'skip-batch' } as const;

  before(async () => {
    await tf.setBackend('cpu');
    x = uniform([16, 4], 1);
    y = tf.tidy(() => tf.concat([tf.fill([1, 2], Number.NaN), uniform([15, 2], 2)]));
  });
  after(() => tf.dispose([x, y]));

  async function linesOf(trainerVerbose: 0 | 1 | undefined, fitVerbose: 0 | 2 | undefined): Promise<string[]> {
    const lines: string[] = [];
    const model = seedModel(2, 4, 8, 2, 'linear');
    const trainer = new Trainer({ model, optimizer: 'sgd', loss: 'mse', backend: 'cpu', logger: (line) => lines.push(line), ...(trainerVerbose === undefined ? {} : { verbose: trainerVerbose }) });
    await trainer.fit(x, y, { ...fitOptions, ...(fitVerbose === undefined ? {} : { verbose: fitVerbose }) });
    trainer.dispose();
    model.dispose();
    return lines;
  }

  it('the notices reach the logger whatever verbose says; the progress lines follow the fit verbose, else the trainer one', async () => {
    for (const [trainerVerbose, fitVerbose, progress] of [
      [0, undefined, false],
      [undefined, 0, false],
      [0, 2, true],
      [undefined, undefined, true],
    ] as const) {
      const label = `new Trainer({ verbose: ${trainerVerbose} }).fit({ verbose: ${fitVerbose} })`;
      const lines = await linesOf(trainerVerbose, fitVerbose);
      expect(lines.filter((line) => line.startsWith('[losskit] epoch')), label).to.have.length(1);
      expect(lines.find((line) => line.startsWith('[losskit] epoch')), label).to.match(new RegExp(`^${skipped.replace(/[()[\]]/g, '\\$&')}`));
      expect(lines.some((line) => line.startsWith('Epoch 1/1')), `${label}: progress`).to.equal(progress);
    }
  });

  it("the workers' timing line reaches the logger of a trainer with verbose: 0", async () => {
    const lines: string[] = [];
    const model = seedModel(2, 4, 8, 2, 'linear');
    const trainer = new Trainer({ model, optimizer: 'sgd', loss: 'mse', backend: 'cpu', verbose: 0, logger: (line) => lines.push(line) });
    const wide = uniform([128, 4], 3);
    const target = uniform([128, 2], 4);
    await trainer.fit(wide, target, { epochs: 1, batchSize: 64, workers: 2, workerImports: WORKER_IMPORTS });
    tf.dispose([wide, target]);
    trainer.dispose();
    model.dispose();
    expect(lines.filter((line) => /^\[losskit\] workers: this thread spent \d+% on its slice/.test(line))).to.have.length(1);
    expect(lines.some((line) => line.startsWith('Epoch'))).to.equal(false);
  });

  it('without a logger, verbose: 0 on the trainer writes nothing to stderr', async () => {
    const written: string[] = [];
    const write = process.stderr.write;
    const model = seedModel(2, 4, 8, 2, 'linear');
    const trainer = new Trainer({ model, optimizer: 'sgd', loss: 'mse', backend: 'cpu', verbose: 0 });
    process.stderr.write = ((chunk: string | Uint8Array) => written.push(String(chunk)) > 0) as typeof process.stderr.write;
    try {
      await trainer.fit(x, y, fitOptions);
    } finally {
      process.stderr.write = write;
    }
    trainer.dispose();
    model.dispose();
    expect(written.filter((chunk) => chunk.includes('[losskit]') || chunk.includes('Epoch'))).to.deep.equal([]);
  });
});
