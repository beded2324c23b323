import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { listCheckpoints, loadTrainerState, readTrainerManifest } from '@losskit/trainer/persistence';
import { useTempDirPerSuite } from './support/persistence-models.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/checkpointed-run.mjs', import.meta.url));
const EPOCHS = 14;

/** Starts the fixture run; resolves when it exits (code or signal). */
function startRun(checkpointDir: string): { child: ChildProcess; exited: Promise<{ code: number | null; signal: string | null }>; epochs: number[] } {
  const child = spawn(process.execPath, [FIXTURE, checkpointDir, String(EPOCHS)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const epochs: number[] = [];
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    for (const match of chunk.toString().matchAll(/epoch (\d+)/g)) epochs.push(Number(match[1]));
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      if (code !== 0 && signal === null) process.stderr.write(stderr);
      resolve({ code, signal });
    }),
  );
  return { child, exited, epochs };
}

/** Dot-named entries (temp and trash directories, the lock) in `root` and its run subdirectories. */
function leftovers(root: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) found.push(entry.name);
    else if (entry.isDirectory()) found.push(...fs.readdirSync(path.join(root, entry.name)).filter((name) => name.startsWith('.')));
  }
  return found;
}

/** Kills the child with SIGKILL the moment a checkpoint temp directory appears under `dir` (after `skip` others). */
function killWhenTempDirAppears(child: ChildProcess, dir: string, skip: number): Promise<boolean> {
  return new Promise((resolve) => {
    fs.mkdirSync(dir, { recursive: true });
    const seen = new Set<string>();
    const watcher = fs.watch(dir, { recursive: true }, (_event, name) => {
      name = name && path.basename(String(name));
      if (name && String(name).startsWith('.tmp-') && !seen.has(String(name))) {
        seen.add(String(name));
        if (seen.size <= skip) return;
        child.kill('SIGKILL');
        watcher.close();
        resolve(true);
      }
    });
    child.on('exit', () => {
      watcher.close();
      resolve(false);
    });
  });
}

function killAfterEpoch(run: ReturnType<typeof startRun>, epoch: number, extraMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (run.epochs.some((e) => e >= epoch)) {
        clearInterval(timer);
        setTimeout(() => {
          run.child.kill('SIGKILL');
          resolve();
        }, extraMs);
      }
    }, 2);
    run.child.on('exit', () => {
      clearInterval(timer);
      resolve();
    });
  });
}

/** The newest complete checkpoint must load into a working model whatever moment the kill hit. */
async function assertNewestCheckpointLoads(dir: string): Promise<number> {
  const checkpoints = await listCheckpoints(dir);
  expect(checkpoints.length, 'a checkpoint survives every kill').to.be.greaterThan(0);
  const newest = checkpoints.at(-1)!;
  const state = await loadTrainerState(newest.dir);
  expect(state.epochsCompleted).to.equal(newest.epoch);
  expect(state.history?.loss).to.have.length(newest.epoch);
  const out = state.model.predict(tf.ones([1, 8])) as tf.Tensor;
  expect(Array.from(await out.data()).every(Number.isFinite)).to.equal(true);
  tf.dispose(out);
  state.model.dispose();
  state.optimizer.dispose();
  return newest.epoch;
}

describe('trainer persistence: a run killed with SIGKILL resumes to the same result', function () {
  this.timeout(120_000);
  let root: string;
  useTempDirPerSuite('kill', (made) => (root = made));

  it('survives kills during training and during checkpoint writes; the final history equals an uninterrupted run', async () => {
    const reference = path.join(root, 'uninterrupted');
    const uninterrupted = startRun(reference);
    expect((await uninterrupted.exited).code).to.equal(0);
    const expected = (await readTrainerManifest((await listCheckpoints(reference)).at(-1)!.dir)).history!;
    expect(expected.loss).to.have.length(EPOCHS);

    const killed = path.join(root, 'killed');
    let progress = 0;
    let leftTempDirs = 0;
    // Kill while a checkpoint is being written, twice; then at random moments between epochs.
    const plans = ['during-checkpoint', 'during-checkpoint', 'random', 'random'] as const;
    for (const plan of plans) {
      const run = startRun(killed);
      if (plan === 'during-checkpoint') {
        // The very first checkpoint is let through, so there is always one to fall back on.
        await killWhenTempDirAppears(run.child, killed, progress === 0 ? 1 : 0);
      } else {
        await killAfterEpoch(run, progress + 1, Math.floor(Math.random() * 120));
      }
      const { signal } = await run.exited;
      expect(signal, `run killed (${plan})`).to.equal('SIGKILL');
      if (leftovers(killed).some((name) => name.startsWith('.tmp-'))) leftTempDirs++;
      const newest = await assertNewestCheckpointLoads(killed);
      expect(newest, 'checkpoints never go backwards').to.be.at.least(progress);
      progress = newest;
    }
    expect(progress, 'the kills happened before the end of the run').to.be.below(EPOCHS);
    // At least one kill must have hit mid-write, or the test proved nothing about atomicity.
    expect(leftTempDirs, 'kills that left an unfinished checkpoint behind').to.be.greaterThan(0);

    const last = startRun(killed);
    expect((await last.exited).code).to.equal(0);
    expect(leftovers(killed), 'leftovers cleaned on resume, lock released').to.deep.equal([]);
    const checkpoints = await listCheckpoints(killed);
    expect(checkpoints.map((c) => c.epoch), 'keep: 2').to.deep.equal([EPOCHS - 1, EPOCHS]);
    const resumed = (await readTrainerManifest(checkpoints.at(-1)!.dir)).history!;
    expect(resumed.loss).to.deep.equal(expected.loss);
  });
});
