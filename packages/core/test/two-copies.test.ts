import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as coreA from '@losskit/core';

// A second copy of core, as a plugin with its own nested @losskit/core would bring: the same
// built files at another path, so Node loads them as separate modules with their own state.
const coreDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function copyOfCore(apiVersion?: string): Promise<{ dir: string; url: string }> {
  // Inside the package so the copy resolves tfjs, tsyringe and zod from core's node_modules.
  const dir = await mkdtemp(path.join(coreDir, '.tmp-copy-'));
  await cp(path.join(coreDir, 'dist'), dir, { recursive: true });
  if (apiVersion) {
    const versionFile = path.join(dir, 'version.js');
    const source = await readFile(versionFile, 'utf8');
    await writeFile(versionFile, source.replace(/CORE_API_VERSION = '[^']+'/, `CORE_API_VERSION = '${apiVersion}'`));
  }
  return { dir, url: pathToFileURL(path.join(dir, 'index.js')).href };
}

describe('core: two copies in one process', () => {
  const cleanup: string[] = [];
  before(async () => {
    await tf.setBackend('cpu');
  });
  after(async () => {
    for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
  });

  it('share one registry: a plugin registered through either copy resolves through the other', async () => {
    const copy = await copyOfCore();
    cleanup.push(copy.dir);
    const coreB = (await import(copy.url)) as typeof coreA;
    expect(coreB.getLossRegistry).not.to.equal(coreA.getLossRegistry, 'precondition: a distinct module instance');
    expect(coreB.getLossRegistry()).to.equal(coreA.getLossRegistry());

    const name = `from-copy-b-${process.pid}`;
    @coreB.RegisterLoss({ name, description: 'registered via copy B', coreApi: '^1.0.0', options: coreB.z.object({ k: coreB.z.number().default(3) }) })
    class FromCopyB {
      constructor(@coreB.inject(coreB.LOSS_OPTIONS) private readonly options: { k: number }) {}
      compute(t: tf.Tensor, p: tf.Tensor) {
        return tf.mul(this.options.k, tf.sum(tf.sub(t, p), -1));
      }
    }
    void FromCopyB;
    const out = coreA.getLossRegistry().resolveSync(name).perSample(tf.tensor2d([[2, 2]]), tf.tensor2d([[1, 0]]));
    expect(out.dataSync()[0]).to.equal(9);
    // and the other way round: copy A's built-ins are visible from copy B
    expect(coreB.getLossRegistry().resolveSync('mae').name).to.equal('mean-absolute-error');
    coreA.getLossRegistry().unregister(name);
  });

  it("errors of one copy are instances of the other copy's error classes (a Symbol.for brand, no name list)", async () => {
    const copy = await copyOfCore();
    cleanup.push(copy.dir);
    const coreB = (await import(copy.url)) as typeof coreA;
    const fromB = new coreB.UnknownLossError('x', [], undefined, '@losskit/loss-x');
    expect(fromB).to.be.instanceOf(coreA.UnknownLossError);
    expect(fromB).to.be.instanceOf(coreA.LossKitError);
    expect(fromB).not.to.be.instanceOf(coreA.LossSpecError);
    expect(new Error('plain')).not.to.be.instanceOf(coreA.LossKitError);
  });

  it('a copy with another major API version fails loudly at import', async () => {
    const copy = await copyOfCore('2.0.0');
    cleanup.push(copy.dir);
    let error: Error | undefined;
    try {
      await import(copy.url);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.name).to.equal('VersionMismatchError');
    expect(error?.message).to.match(/Two incompatible copies of @losskit\/core.*1\.0\.0.*2\.0\.0.*peerDependency/s);
  });
});
