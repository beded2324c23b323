import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CheckpointLockedError, Trainer, TrainerFileError } from '@losskit/trainer';
import { listCheckpoints, LOCK_FILE, readTrainerManifest } from '@losskit/trainer/persistence';
import { buildMlp, formulaData, makeTempDir } from './support/persistence-models.js';

const quiet = { backend: 'cpu' as const, verbose: false as const };
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

interface Child {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: string | null }>;
  /** Resolves when stdout has printed `text`. */
  printed(text: string): Promise<void>;
}

function start(script: string, args: string[]): Child {
  const child = spawn(process.execPath, [fixture(script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiting: { text: string; resolve: () => void }[] = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of waiting.filter((w) => out.includes(w.text))) w.resolve();
  });
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    printed: (text) =>
      new Promise((resolve, reject) => {
        if (out.includes(text)) return resolve();
        waiting.push({ text, resolve });
        void exited.then(() => (out.includes(text) ? resolve() : reject(new Error(`exited before printing '${text}': ${err}`))));
      }),
  };
}

describe('checkpoint directories belong to one run', function () {
  this.timeout(120_000);
  let root: string;
  let data: { x: tf.Tensor2D; y: tf.Tensor2D };
  const trainers: Trainer[] = [];
  const newTrainer = () => {
    const trainer = new Trainer({ model: buildMlp(), optimizer: tf.train.adam(0.01), loss: 'mse', ...quiet });
    trainers.push(trainer);
    return trainer;
  };
  const fitOptions = { batchSize: 16, seed: 3, verbose: 0 as const };
  before(async () => {
    await tf.setBackend('cpu');
    data = formulaData(32);
  });
  after(() => tf.dispose([data.x, data.y]));
  beforeEach(() => {
    root = makeTempDir('runs');
  });
  afterEach(() => {
    for (const t of trainers.splice(0)) {
      t.model.dispose();
      t.optimizer.dispose();
      t.dispose();
    }
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("pruning keeps this run's last K and never touches another run's; resume asks which run when there are several", async () => {
    const ckpt = path.join(root, 'ckpt');
    await newTrainer().fit(data.x, data.y, { ...fitOptions, epochs: 5, checkpoint: { dir: ckpt, keep: 2, runId: 'long' } });
    // A second run into the same directory, with lower epoch numbers: the old code pruned the first run's.
    await newTrainer().fit(data.x, data.y, { ...fitOptions, epochs: 2, checkpoint: { dir: ckpt, keep: 2 } });
    const byRun = (await listCheckpoints(ckpt)).map((c) => `${c.runId}/${c.epoch}`);
    const other = fs.readdirSync(ckpt).find((name) => name !== 'long')!;
    expect(other).to.match(/^run-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(byRun.sort()).to.deep.equal(['long/4', 'long/5', `${other}/1`, `${other}/2`].sort());

    const ambiguous = await newTrainer().fit(data.x, data.y, { ...fitOptions, epochs: 6, resume: true, checkpoint: { dir: ckpt } }).catch((e: unknown) => e);
    expect(ambiguous).to.be.instanceOf(TrainerFileError);
    expect((ambiguous as Error).message).to.include("'long' (newest: epoch-000005)").and.to.include(`'${other}' (newest: epoch-000002)`).and.to.include('runId');
    const asSave = await Trainer.load(ckpt, quiet).catch((e: unknown) => e);
    expect((asSave as Error).message).to.match(/is a checkpoint directory, not a save: load it with Trainer\.resume/);
    const viaResume = await Trainer.resume(ckpt, quiet).catch((e: unknown) => e);
    expect((viaResume as Error).message).to.match(/holds checkpoints of 2 runs/);

    const continued = newTrainer();
    const history = await continued.fit(data.x, data.y, { ...fitOptions, epochs: 6, resume: true, checkpoint: { dir: ckpt, keep: 2, runId: 'long' } });
    expect(history.epoch).to.deep.equal([5]);
    expect((await listCheckpoints(ckpt, 'long')).map((c) => c.epoch)).to.deep.equal([5, 6]);
    expect((await listCheckpoints(ckpt, other)).map((c) => c.epoch)).to.deep.equal([1, 2]);
    const loaded = await Trainer.resume(ckpt, { ...quiet, runId: 'long' });
    trainers.push(loaded);
    expect(loaded.epochsCompleted).to.equal(6);

    const badId = await newTrainer().fit(data.x, data.y, { ...fitOptions, checkpoint: { dir: ckpt, runId: '../escape' } }).catch((e: unknown) => e);
    expect((badId as Error).message).to.match(/checkpoint\.runId must be/);
  });

  it('a run directory that is a symbolic link is never written through', async () => {
    const ckpt = path.join(root, 'ckpt');
    const elsewhere = path.join(root, 'elsewhere');
    fs.mkdirSync(ckpt);
    fs.mkdirSync(elsewhere);
    fs.symlinkSync(elsewhere, path.join(ckpt, 'exp'));
    const error = await newTrainer().fit(data.x, data.y, { ...fitOptions, epochs: 1, checkpoint: { dir: ckpt, runId: 'exp' } }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(TrainerFileError);
    expect((error as Error).message).to.match(/is not a directory losskit made for run 'exp'/);
    expect(fs.readdirSync(elsewhere)).to.deep.equal([]);
  });

  it('a fit with checkpoint but without resume starts its own history: nothing carries over from an earlier resume', async () => {
    const first = path.join(root, 'first');
    await newTrainer().fit(data.x, data.y, { ...fitOptions, epochs: 3, checkpoint: { dir: first } });
    const trainer = newTrainer();
    await trainer.fit(data.x, data.y, { ...fitOptions, epochs: 4, resume: true, checkpoint: { dir: first } });
    const second = path.join(root, 'second');
    await trainer.fit(data.x, data.y, { ...fitOptions, epochs: 2, checkpoint: { dir: second } });
    const newest = (await listCheckpoints(second)).at(-1)!;
    const manifest = await readTrainerManifest(newest.dir);
    expect(manifest.history!.loss, 'two epochs, no holes, none of the resumed run').to.have.length(2);
    expect(manifest.history!.loss!.every((v) => typeof v === 'number')).to.equal(true);
    expect(manifest.run!.id).to.not.equal((await listCheckpoints(first)).at(-1)!.runId);
    expect(manifest.epochsCompleted, 'the counter keeps counting: 4 + 2').to.equal(6);
  });

  it('the epoch counter after load + fit never goes backwards (Keras initialEpoch semantics for the loop)', async () => {
    const trainer = newTrainer();
    await trainer.fit(data.x, data.y, { ...fitOptions, epochs: 3 });
    const dir = path.join(root, 'saved');
    await trainer.save(dir);
    const loaded = await Trainer.load(dir, quiet);
    trainers.push(loaded);
    expect(loaded.epochsCompleted).to.equal(3);
    // epochs: 2 without initialEpoch runs epochs 0 and 1 (as Keras): two more epochs of training.
    const more = await loaded.fit(data.x, data.y, { ...fitOptions, epochs: 2 });
    expect(more.epoch).to.deep.equal([0, 1]);
    expect(loaded.epochsCompleted).to.equal(5);
    await loaded.save(dir);
    expect((await readTrainerManifest(dir)).epochsCompleted).to.equal(5);
    // Continuing with initialEpoch counts the same way: 5 + (7 - 5).
    await loaded.fit(data.x, data.y, { ...fitOptions, epochs: 7, initialEpoch: loaded.epochsCompleted });
    expect(loaded.epochsCompleted).to.equal(7);
  });

  it('two processes started together on one directory: one runs, the other gets a clear error, never a raw fs error', async () => {
    const ckpt = path.join(root, 'race');
    const both = [start('checkpointed-run.mjs', [ckpt, '6']), start('checkpointed-run.mjs', [ckpt, '6'])];
    const exits = await Promise.all(both.map((run) => run.exited));
    expect(exits.filter((e) => e.code === 0).length, 'at least one finished').to.be.at.least(1);
    for (const [i, e] of exits.entries()) {
      const stderr = both[i]!.stderr();
      expect(stderr).to.not.match(/ENOTEMPTY|ENOENT|EEXIST/);
      if (e.code !== 0) expect(stderr).to.include('CheckpointLockedError').and.to.include(`is in use by process ${both[1 - i]!.child.pid}`);
    }
    expect((await listCheckpoints(ckpt)).at(-1)!.epoch).to.equal(6);
    expect(fs.existsSync(path.join(ckpt, LOCK_FILE))).to.equal(false);
  });

  it('a second process is refused with the holder named; a lock left by a killed process is recovered', async () => {
    const ckpt = path.join(root, 'ckpt');
    const holder = start('checkpointed-run.mjs', [ckpt, '400']);
    try {
      await holder.printed('epoch 1');
      const lock = JSON.parse(fs.readFileSync(path.join(ckpt, LOCK_FILE), 'utf8')) as { pid: number; runId: string };
      expect(lock.pid).to.equal(holder.child.pid);

      // A real second process resuming the same directory: a clear error, no raw ENOTEMPTY.
      const second = start('checkpointed-run.mjs', [ckpt, '400']);
      const { code } = await second.exited;
      expect(code).to.not.equal(0);
      expect(second.stderr()).to.include('CheckpointLockedError').and.to.include(`is in use by process ${holder.child.pid}`);
      expect(second.stderr()).to.not.match(/ENOTEMPTY|ENOENT/);

      // And in this process, through fit and Trainer.resume.
      const refused = await newTrainer().fit(data.x, data.y, { ...fitOptions, epochs: 2, resume: true, checkpoint: { dir: ckpt } }).catch((e: unknown) => e);
      expect(refused).to.be.instanceOf(CheckpointLockedError);
      expect((refused as CheckpointLockedError).holder).to.include({ pid: holder.child.pid, runId: lock.runId, purpose: 'fit with resume' });
      const refusedResume = await Trainer.resume(ckpt, quiet).catch((e: unknown) => e);
      expect(refusedResume).to.be.instanceOf(CheckpointLockedError);
    } finally {
      holder.child.kill('SIGKILL');
      await holder.exited;
    }
    // The killed holder's lock is still there, stale; the next run takes it over and continues.
    expect(fs.existsSync(path.join(ckpt, LOCK_FILE))).to.equal(true);
    const before = (await listCheckpoints(ckpt)).at(-1)!.epoch;
    const next = start('checkpointed-run.mjs', [ckpt, String(before + 2)]);
    const { code } = await next.exited;
    expect(code, next.stderr()).to.equal(0);
    expect((await listCheckpoints(ckpt)).at(-1)!.epoch).to.equal(before + 2);
    expect(fs.existsSync(path.join(ckpt, LOCK_FILE)), 'released at the end').to.equal(false);
  });

  it('a save killed inside its replace window, or while writing, leaves the old or the new save loadable', async () => {
    const dir = path.join(root, 'model');
    const inWindow = start('save-window.mjs', [dir, 'window']);
    await inWindow.printed('in-window');
    inWindow.child.kill('SIGKILL');
    await inWindow.exited;
    // The one moment the name is empty: both complete saves sit beside it.
    expect(fs.existsSync(dir)).to.equal(false);
    const siblings = fs.readdirSync(root).sort();
    expect(siblings.map((name) => name.replace(/-\d+-[0-9a-f]{8}$/, ''))).to.deep.equal(['.tmp-model', '.trash-model']);
    const lines: string[] = [];
    const recovered = await Trainer.load(dir, { logger: (line) => lines.push(line) });
    trainers.push(recovered);
    expect(recovered.epochsCompleted, 'the new save wins').to.equal(2);
    expect(lines.join('\n')).to.match(/restored the new save from \.tmp-model-/);
    expect(fs.readdirSync(root)).to.deep.equal(['model']);

    // Killed at once while it writes: whatever the moment, a complete save is there.
    for (let trial = 0; trial < 2; trial++) {
      const target = path.join(root, `write-${trial}`);
      const writer = start('save-window.mjs', [target, 'write']);
      await writer.printed('first save done');
      await new Promise((resolve) => setTimeout(resolve, 20 + trial * 40));
      writer.child.kill('SIGKILL');
      await writer.exited;
      const loaded = await Trainer.load(target, quiet);
      trainers.push(loaded);
      expect(loaded.epochsCompleted).to.be.oneOf([1, 2]);
      // The next save cleans what the killed one left (its pid is dead), and nothing else.
      await loaded.save(target);
      expect(fs.readdirSync(root).filter((name) => name.includes(`write-${trial}-`))).to.deep.equal([]);
    }
  });
});
