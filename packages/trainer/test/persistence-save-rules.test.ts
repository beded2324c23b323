import '@losskit/loss-mse';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SaveTargetError, Trainer } from '@losskit/trainer';
import { listCheckpoints, readTrainerManifest } from '@losskit/trainer/persistence';
import { buildMlp, deadPid, formulaData, snapshotDir, useTempDirPerTest } from './support/persistence-models.js';

const quiet = { backend: 'cpu' as const, verbose: false as const };

/** Every entry under `dir` (files with their bytes, links with their targets, directories). */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath, entry.name);
    const key = path.relative(dir, file);
    if (entry.isSymbolicLink()) out[key] = `link -> ${fs.readlinkSync(file)}`;
    else if (entry.isFile()) out[key] = fs.readFileSync(file).toString('base64');
    else out[key] = 'dir';
  }
  return out;
}

describe('save(dir) writes only over what losskit wrote', function () {
  this.timeout(60_000);
  let root: string;
  let trainer: Trainer;
  useTempDirPerTest('save-rules', (made) => (root = made));
  before(async () => {
    trainer = new Trainer({ model: buildMlp(), optimizer: tf.train.adam(0.01), loss: 'mse', ...quiet });
    await trainer.ready();
  });
  after(() => {
    trainer.model.dispose();
    trainer.optimizer.dispose();
    trainer.dispose();
  });

  async function expectRefusal(target: string, message: RegExp): Promise<void> {
    const before = tree(root);
    const error = await trainer.save(target).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(SaveTargetError);
    expect((error as Error).message).to.include(target).and.to.match(message);
    expect((error as Error).message).to.include('Nothing was written or removed');
    expect(tree(root), 'nothing changed on disk').to.deep.equal(before);
  }

  it('a directory with the user\'s files in it is refused, naming them; nothing is removed', async () => {
    const dir = path.join(root, 'notes');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'thesis.tex'), 'chapter 1');
    fs.mkdirSync(path.join(dir, 'data'));
    await expectRefusal(dir, /not a losskit save \(it holds 'data', 'thesis\.tex'\)/);
  });

  it('a regular file, a FIFO or a symbolic link at the path is refused and left as it is', async () => {
    const file = path.join(root, 'model');
    fs.writeFileSync(file, 'my file');
    await expectRefusal(file, /it is a regular file/);
    const fifo = path.join(root, 'fifo');
    execFileSync('mkfifo', [fifo]);
    await expectRefusal(fifo, /it is a FIFO/);
    const elsewhere = path.join(root, 'elsewhere');
    fs.mkdirSync(elsewhere);
    const link = path.join(root, 'link');
    fs.symlinkSync(elsewhere, link);
    await expectRefusal(link, /symbolic link/);
  });

  it("another run's checkpoint directory is refused: all its checkpoints stay", async () => {
    const ckpt = path.join(root, 'ckpt');
    const { x, y } = formulaData(16);
    const other = new Trainer({ model: buildMlp(), optimizer: tf.train.sgd(0.1), loss: 'mse', ...quiet });
    await other.fit(x, y, { epochs: 3, verbose: 0, checkpoint: { dir: ckpt, keep: 3 } });
    await expectRefusal(ckpt, /not a losskit save/);
    expect((await listCheckpoints(ckpt)).map((c) => c.epoch)).to.deep.equal([1, 2, 3]);
    tf.dispose([x, y]);
    other.model.dispose();
    other.optimizer.dispose();
  });

  it("save('.') and a directory that contains the working directory are refused", async () => {
    const previous = process.cwd();
    const inner = path.join(root, 'work', 'here');
    fs.mkdirSync(inner, { recursive: true });
    process.chdir(inner);
    try {
      for (const target of ['.', '..']) {
        const error = await trainer.save(target).then(() => undefined, (e: unknown) => e);
        expect(error, target).to.be.instanceOf(SaveTargetError);
        expect((error as Error).message).to.match(/working directory/);
      }
      expect(fs.readdirSync(path.join(root, 'work'))).to.deep.equal(['here']);
    } finally {
      process.chdir(previous);
    }
  });

  it('a missing or empty directory is written; a previous save is replaced; a save with a foreign file in it is refused', async () => {
    const fresh = path.join(root, 'a', 'b', 'model');
    await trainer.save(fresh);
    // Format 3: the optimizer's slots are in weights.bin (group 'optimizer'), no optimizer.bin.
    expect(fs.readdirSync(fresh).sort()).to.deep.equal(['losskit.json', 'model.json', 'weights.bin']);
    const empty = path.join(root, 'empty');
    fs.mkdirSync(empty);
    await trainer.save(empty);
    expect((await readTrainerManifest(empty)).epochsCompleted).to.equal(0);

    trainer.epochsCompleted = 7;
    await trainer.save(empty);
    expect((await readTrainerManifest(empty)).epochsCompleted, 'replaced').to.equal(7);
    expect(fs.readdirSync(root).filter((name) => name.startsWith('.')), 'no leftovers').to.deep.equal([]);

    fs.writeFileSync(path.join(empty, 'README.txt'), 'my notes about this model');
    await expectRefusal(empty, /a losskit save but also holds 'README\.txt'/);
    fs.rmSync(path.join(empty, 'README.txt'));
    // A symbolic link in place of one of the save's own files is not the save's file either.
    fs.rmSync(path.join(empty, 'weights.bin'));
    fs.symlinkSync(path.join(root, 'a', 'b', 'model', 'weights.bin'), path.join(empty, 'weights.bin'));
    await expectRefusal(empty, /not a losskit save|also holds 'weights\.bin'/);
    trainer.epochsCompleted = 0;
  });

  it("the next save removes leftovers of a killed save of the same target, and nothing else", async () => {
    const dir = path.join(root, 'model');
    await trainer.save(dir);
    const dead = deadPid();
    const own = (kind: string, pid: number, hex: string) => path.join(root, `.${kind}-model-${pid}-${hex}`);
    // What a killed save leaves: a complete previous save moved aside, a partial new one.
    fs.cpSync(dir, own('trash', dead, '00000001'), { recursive: true });
    fs.mkdirSync(own('tmp', dead, '00000002'));
    fs.writeFileSync(path.join(own('tmp', dead, '00000002'), 'model.json'), '{"trunc');
    // Not to be touched: a save in progress in a live process, a user's file in a leftover,
    // another target's leftover, and a user's directory that merely looks similar.
    fs.cpSync(dir, own('tmp', process.pid, '00000003'), { recursive: true });
    fs.mkdirSync(own('tmp', dead, '00000004'));
    fs.writeFileSync(path.join(own('tmp', dead, '00000004'), 'precious.txt'), 'mine');
    fs.mkdirSync(path.join(root, `.tmp-other-${dead}-00000005`));
    fs.mkdirSync(path.join(root, '.tmp-model-backup'));
    const keep = [own('tmp', process.pid, '00000003'), own('tmp', dead, '00000004'), path.join(root, `.tmp-other-${dead}-00000005`), path.join(root, '.tmp-model-backup')];
    const kept = Object.fromEntries(keep.map((p) => [p, snapshotDir(p)]));

    await trainer.save(dir);
    const left = fs.readdirSync(root).filter((name) => name.startsWith('.')).sort();
    expect(left).to.deep.equal(keep.map((p) => path.basename(p)).sort());
    for (const p of keep) expect(snapshotDir(p), p).to.deep.equal(kept[p]);
  });
});
