import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Trainer, TrainerFileSystemError } from '@losskit/trainer';
import { listCheckpoints, loadTrainerState, readTrainerManifest } from '@losskit/trainer/persistence';
import { buildMlp, formulaData, useTempDirPerTest } from './support/persistence-models.js';

const quiet = { backend: 'cpu' as const, verbose: false as const };

/**
 * Real failures where the machine allows them: a tiny tmpfs for ENOSPC and a read-only bind
 * mount for EROFS (both need root, which our CI container has). Where mounting is refused, the
 * same errno errors are injected at the fs-module boundary instead: `fs.promises.open` and
 * `mkdir` (the very functions persistence calls) reject writes below the directory with the code.
 * The test names which of the two it used; it never skips.
 */
type Fault = 'ENOSPC' | 'EROFS';
const used: string[] = [];

function mount(args: string[]): boolean {
  try {
    execFileSync('mount', args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function withFault<T>(fault: Fault, dir: string, options: { tmpfsBytes?: number; failWhen?: (file: string) => boolean }, run: () => Promise<T>): Promise<T> {
  const mounted =
    fault === 'ENOSPC'
      ? mount(['-t', 'tmpfs', '-o', `size=${options.tmpfsBytes ?? 65536}`, 'tmpfs', dir])
      : mount(['--bind', dir, dir]) && (mount(['-o', 'remount,bind,ro', dir, dir]) || (execFileSync('umount', [dir]), false));
  if (mounted) {
    used.push(`${fault}: real ${fault === 'ENOSPC' ? 'tmpfs' : 'read-only bind mount'}`);
    try {
      return await run();
    } finally {
      execFileSync('umount', [dir]);
    }
  }
  used.push(`${fault}: injected at fs.promises (mount refused here)`);
  const original = { open: fsp.open, mkdir: fsp.mkdir };
  const inside = (file: unknown) => String(file).startsWith(dir + path.sep) && (options.failWhen?.(String(file)) ?? true);
  const fail = (file: unknown) => Object.assign(new Error(`${fault}: injected, '${String(file)}'`), { code: fault });
  fsp.open = (async (file: fs.PathLike, flags?: number | string, mode?: number) => {
    const writing = typeof flags === 'number' ? (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR)) !== 0 : /[wa+]/.test(flags ?? '');
    if (writing && inside(file)) throw fail(file);
    return original.open(file, flags, mode);
  }) as typeof fsp.open;
  fsp.mkdir = (async (file: fs.PathLike, opts?: fs.MakeDirectoryOptions) => {
    if (fault === 'EROFS' && inside(file)) throw fail(file);
    return original.mkdir(file, opts);
  }) as typeof fsp.mkdir;
  try {
    return await run();
  } finally {
    Object.assign(fsp, original);
  }
}

describe('file-system errors name the file and say what is intact', function () {
  this.timeout(60_000);
  let root: string;
  useTempDirPerTest('fs-errors', (made) => (root = made));
  after(() => console.log(`      (fault injection used: ${[...new Set(used)].join('; ')})`));

  const newTrainer = (inputs: number, hidden: number) =>
    new Trainer({ model: buildMlp(7, inputs, hidden), optimizer: tf.train.adam(0.01), loss: 'mse', ...quiet });

  async function expectFsError(promise: Promise<unknown>, code: string | RegExp, file: string, outcome: string): Promise<TrainerFileSystemError> {
    const error = await promise.then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(TrainerFileSystemError);
    const fsError = error as TrainerFileSystemError;
    expect(fsError.code).to.match(code instanceof RegExp ? code : new RegExp(`^${code}$`));
    expect(fsError.message).to.include(file).and.to.include(outcome).and.to.include(`(${fsError.code})`);
    return fsError;
  }

  it('ENOSPC while replacing a save: the previous save is intact and loads, nothing is left beside it', async () => {
    const mountPoint = path.join(root, 'disk');
    fs.mkdirSync(mountPoint);
    const small = newTrainer(6, 16);
    await small.ready();
    small.epochsCompleted = 4;
    const big = newTrainer(200, 400);
    await big.ready();
    const dir = path.join(mountPoint, 'model');
    // Injected faults start once the small save is written (a real tmpfs just runs out of space).
    let full = false;
    await withFault('ENOSPC', mountPoint, { tmpfsBytes: 256 * 1024, failWhen: () => full }, async () => {
      await small.save(dir);
      full = true;
      const error = await expectFsError(big.save(dir), 'ENOSPC', mountPoint, `The previous save in ${dir} is intact.`);
      expect(error.message).to.match(/the disk is full/);
      const state = await loadTrainerState(dir);
      expect(state.epochsCompleted).to.equal(4);
      expect(state.model.countParams()).to.equal(small.model.countParams());
      state.model.dispose();
      state.optimizer.dispose();
      expect(fs.readdirSync(mountPoint)).to.deep.equal(['model']);
    });
    for (const t of [small, big]) {
      t.model.dispose();
      t.optimizer.dispose();
      t.dispose();
    }
  });

  it('ENOSPC in a checkpoint: the fit fails with the run\'s earlier checkpoints intact and resumable', async () => {
    const mountPoint = path.join(root, 'disk');
    fs.mkdirSync(mountPoint);
    const { x, y } = formulaData(16, 40);
    const trainer = newTrainer(40, 180);
    const ckpt = path.join(mountPoint, 'ckpt');
    // Each checkpoint holds ~95 KB (weights and two Adam slots): two fit in 256 KB, the third does not.
    await withFault('ENOSPC', mountPoint, { tmpfsBytes: 256 * 1024, failWhen: (file) => file.includes('epoch-000003') }, async () => {
      const failed = trainer.fit(x, y, { epochs: 5, verbose: 0, checkpoint: { dir: ckpt, keep: 5 } });
      await expectFsError(failed, 'ENOSPC', ckpt, 'Checkpoint epoch-000003 was not written; the earlier checkpoints of run');
      expect((await listCheckpoints(ckpt)).map((c) => c.epoch)).to.deep.equal([1, 2]);
      const resumed = await Trainer.resume(ckpt, { verbose: false });
      expect(resumed.epochsCompleted).to.equal(2);
      resumed.model.dispose();
      resumed.optimizer.dispose();
      resumed.dispose();
    });
    tf.dispose([x, y]);
    trainer.model.dispose();
    trainer.optimizer.dispose();
    trainer.dispose();
  });

  it('EROFS: a read-only file system keeps the previous save; a new path reports that nothing was written', async () => {
    const mountPoint = path.join(root, 'ro');
    fs.mkdirSync(mountPoint);
    const trainer = newTrainer(6, 16);
    await trainer.ready();
    trainer.epochsCompleted = 2;
    const dir = path.join(mountPoint, 'model');
    await trainer.save(dir);
    trainer.epochsCompleted = 3;
    await withFault('EROFS', mountPoint, {}, async () => {
      await expectFsError(trainer.save(dir), 'EROFS', mountPoint, `The previous save in ${dir} is intact.`);
      expect((await readTrainerManifest(dir)).epochsCompleted).to.equal(2);
      const fresh = path.join(mountPoint, 'other');
      await expectFsError(trainer.save(fresh), 'EROFS', mountPoint, `Nothing was written at ${fresh}.`);
    });
    expect(fs.readdirSync(mountPoint)).to.deep.equal(['model']);
    trainer.model.dispose();
    trainer.optimizer.dispose();
    trainer.dispose();
  });

  it('a parent path that is a file (ENOTDIR/EEXIST) names it and says nothing was written', async () => {
    const file = path.join(root, 'a-file');
    fs.writeFileSync(file, 'not a directory');
    const trainer = newTrainer(6, 16);
    await trainer.ready();
    const target = path.join(file, 'sub', 'model');
    await expectFsError(trainer.save(target), /^(ENOTDIR|EEXIST)$/, file, `Nothing was written at ${target}.`);
    expect(fs.readFileSync(file, 'utf8')).to.equal('not a directory');
    trainer.model.dispose();
    trainer.optimizer.dispose();
    trainer.dispose();
  });
});
