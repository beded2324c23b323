/**
 * The replaced Identity kernel shares its input's memory instead of copying it: a clone reads
 * the same values, outlives its source, survives a variable's assign, and the memory is freed
 * only when the last reference goes.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import '@losskit/wasm-training';
import { randomTensor, useBackendDuring } from './helpers.js';

/** The wasm backend's bookkeeping of live buffers (a public field of BackendWasm, absent from its typings). */
const liveBuffers = () => (tf.backend() as unknown as { dataIdMap: { numDataIds(): number } }).dataIdMap.numDataIds();

describe('@losskit/wasm-training: Identity shares memory', function () {
  this.timeout(30000);
  useBackendDuring('wasm');

  it('a clone shares its source buffer, outlives it, and the buffer goes with the last reference', () => {
    const buffersBefore = liveBuffers();
    const tensorsBefore = tf.memory().numTensors;
    const x = randomTensor([64, 33], 1);
    const expected = Array.from(x.dataSync());
    const y = tf.clone(x);
    expect(y.dataId).to.equal(x.dataId);
    expect(liveBuffers()).to.equal(buffersBefore + 1);
    x.dispose();
    expect(Array.from(y.dataSync())).to.deep.equal(expected);
    expect(liveBuffers()).to.equal(buffersBefore + 1);
    y.dispose();
    expect(liveBuffers()).to.equal(buffersBefore);
    expect(tf.memory().numTensors).to.equal(tensorsBefore);
  });

  it('a clone of a variable keeps the old values after assign (what a weight snapshot relies on)', () => {
    const v = tf.variable(randomTensor([5, 7], 2));
    const before = Array.from(v.dataSync());
    const snapshot = tf.clone(v);
    tf.tidy(() => v.assign(tf.add(v, 1)));
    expect(Array.from(snapshot.dataSync())).to.deep.equal(before);
    expect(Array.from(v.dataSync())).to.deep.equal(before.map((b) => Math.fround(b + 1)));
    tf.dispose([v, snapshot]);
  });

  it('gradients through tf.clone and string clones still work', () => {
    const x = randomTensor([4, 3], 3);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.clone(t), tf.clone(t))))(x);
    const expected = Array.from(x.dataSync(), (v) => Math.fround(2 * v));
    Array.from(g.dataSync()).forEach((v, i) => expect(v).to.be.closeTo(expected[i]!, 1e-6));
    const s = tf.tensor(['a', 'bc']);
    const c = tf.clone(s);
    s.dispose();
    expect(c.arraySync()).to.deep.equal(['a', 'bc']);
    tf.dispose([x, g, c]);
  });
});
