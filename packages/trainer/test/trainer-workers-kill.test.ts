/**
 * `workers` and crashes: SIGKILL of the process mid-fit (its worker threads die with it) leaves
 * a loadable checkpoint, and resuming it with another worker count continues the same run.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listCheckpoints, loadTrainerState, readTrainerManifest } from '@losskit/trainer/persistence';
import { useTempDirPerSuite } from './support/persistence-models.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/workers-run.mjs', import.meta.url));
const EPOCHS = 12;

/** Runs the fixture; with `killAtEpoch`, SIGKILLs it as soon as it reports that epoch. */
function runFixture(dir: string, workers: number, killAtEpoch?: number): Promise<{ code: number | null; signal: string | null }> {
  const child = spawn(process.execPath, [FIXTURE, dir, String(EPOCHS), String(workers)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout!.on('data', (chunk: Buffer) => {
    if (killAtEpoch !== undefined && [...chunk.toString().matchAll(/epoch (\d+)/g)].some((m) => Number(m[1]) >= killAtEpoch)) child.kill('SIGKILL');
  });
  return new Promise((resolve) => child.on('exit', (code, signal) => {
    if (code !== 0 && signal === null) process.stderr.write(stderr);
    resolve({ code, signal });
  }));
}

function expectClose(actual: number[], expected: number[], what: string): void {
  expect(actual, what).to.have.length(expected.length);
  actual.forEach((v, i) => expect(Math.abs(v - expected[i]!) / Math.abs(expected[i]!), `${what}[${i}]: ${v} vs ${expected[i]}`).to.be.at.most(1e-5));
}

describe('Trainer: workers and a killed process', function () {
  this.timeout(120_000);
  let root: string;
  useTempDirPerSuite('workers-kill', (made) => (root = made));

  it('SIGKILL mid-fit with 2 workers leaves a loadable checkpoint; resuming on 1 worker continues the same run', async () => {
    const reference = path.join(root, 'uninterrupted');
    expect((await runFixture(reference, 2)).code).to.equal(0);
    const expected = (await readTrainerManifest((await listCheckpoints(reference)).at(-1)!.dir)).history!;

    const killed = path.join(root, 'killed');
    const { signal } = await runFixture(killed, 2, 3);
    expect(signal).to.equal('SIGKILL');
    const newest = (await listCheckpoints(killed)).at(-1)!;
    expect(newest.epoch, 'killed mid-fit').to.be.within(2, EPOCHS - 1);
    const state = await loadTrainerState(newest.dir);
    expect(state.epochsCompleted).to.equal(newest.epoch);
    const out = state.model.predict(tf.ones([1, 8])) as tf.Tensor;
    expect(Array.from(out.dataSync()).every(Number.isFinite)).to.equal(true);
    tf.dispose(out);
    state.model.dispose();
    state.optimizer.dispose();

    expect((await runFixture(killed, 1)).code).to.equal(0);
    const resumed = (await readTrainerManifest((await listCheckpoints(killed)).at(-1)!.dir)).history!;
    expect(resumed.loss).to.have.length(EPOCHS);
    // the epochs before the kill are the same computation; after it, 1 worker vs 2 within 1e-5
    expect(resumed.loss!.slice(0, newest.epoch)).to.deep.equal(expected.loss!.slice(0, newest.epoch));
    expectClose(resumed.loss as number[], expected.loss as number[], 'loss');
  });
});
