import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { getLossRegistry, InvalidLossMetadataError, registerLossFunction, ResolveOptionsError } from '@losskit/core';

// A typo in registration metadata or in resolve's options would otherwise do nothing at all: an
// alias never registered (`alias`), a package never imported (`plugns`). Both are refused by name.
describe('core: unknown keys in registration metadata and resolve options', () => {
  const registry = getLossRegistry();
  const perSample = (t: tf.Tensor, p: tf.Tensor) => tf.mean(tf.abs(tf.sub(t, p)), -1);

  it("registration: 'alias' for 'aliases' is refused, naming the key and the nearest, and registers nothing", () => {
    const name = `meta-typo-${process.pid}`;
    expect(() => registerLossFunction({ name, alias: [`${name}-x`], description: 'd' } as never, perSample)).to.throw(
      InvalidLossMetadataError,
      /unknown registration key 'alias' \(did you mean 'aliases'\?\); the metadata of a loss has name, aliases, description/,
    );
    expect(registry.has(name)).to.equal(false);
  });

  it('registration with the known keys still works', () => {
    const name = `meta-ok-${process.pid}`;
    registerLossFunction({ name, aliases: [`${name}-x`], description: 'd' }, perSample);
    expect(registry.get(`${name}-x`).name).to.equal(name);
    registry.unregister(name);
  });

  it("resolve: 'plugns' is refused before any import", async () => {
    let error: unknown;
    await registry.resolve('huber', { plugns: ['some-package'] } as never).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(ResolveOptionsError);
    expect((error as Error).message).to.match(/registry\.resolve: unknown option 'plugns' \(did you mean 'plugins'\?\); its options are container, plugins\./);
  });

  it('resolveSync: plugins is not one of its options, and the message says where it goes', () => {
    expect(() => registry.resolveSync('huber', { plugins: [] } as never)).to.throw(ResolveOptionsError, /resolveSync imports nothing: use await registry\.resolve\(spec, \{ plugins \}\)/);
    const loss = registry.resolveSync('huber', {});
    expect(loss.name).to.equal('huber');
    loss.dispose();
  });
});
