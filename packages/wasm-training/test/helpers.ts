/** Shared helpers for the wasm-training tests: run the same computation on cpu and wasm and compare. */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { expect } from 'chai';

export type Backend = 'cpu' | 'wasm';

/** Deterministic pseudo-random values in [-1, 1) (mulberry32), so both backends get identical inputs. */
export function randomValues(size: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296 * 2 - 1;
  }
  return out;
}

export function randomTensor(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(randomValues(shape.reduce((p, v) => p * v, 1), seed), shape);
}

export async function useBackend(name: Backend): Promise<void> {
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`backend ${name} failed to initialise`);
  }
}

/** Mocha hooks for the enclosing describe: switch to `name` before its tests, restore the previous backend after. */
export function useBackendDuring(name: Backend): void {
  let previous: string | undefined;
  before(async () => {
    previous = tf.getBackend();
    await useBackend(name);
  });
  after(async () => {
    if (previous) await tf.setBackend(previous);
  });
}

export interface Comparison { maxDiff: number; scale: number; size: number }

/** Max abs difference of two arrays, and the value scale (max abs of the cpu values, at least 1). */
export function compareArrays(cpu: ArrayLike<number>, wasm: ArrayLike<number>): Comparison {
  expect(wasm.length, 'output size').to.equal(cpu.length);
  let maxDiff = 0;
  let scale = 1;
  for (let i = 0; i < cpu.length; i++) {
    const c = cpu[i]!;
    const w = wasm[i]!;
    if (!Number.isFinite(w) && !Number.isFinite(c)) continue;
    maxDiff = Math.max(maxDiff, Math.abs(c - w));
    scale = Math.max(scale, Math.abs(c));
  }
  return { maxDiff, scale, size: cpu.length };
}

/**
 * Runs `fn` (which builds its own inputs) on cpu and on wasm and asserts the outputs agree:
 * same shapes, max abs difference within `tol` times the value scale.
 */
export async function expectSameOnBothBackends(
  label: string,
  fn: (backend: Backend) => tf.Tensor | tf.Tensor[],
  tol = 1e-4,
): Promise<Comparison> {
  const results: Record<Backend, { shapes: number[][]; values: Float32Array[] }> = {} as never;
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    const outs = tf.tidy(() => fn(backend));
    const list = Array.isArray(outs) ? outs : [outs];
    results[backend] = {
      shapes: list.map((t) => t.shape),
      values: await Promise.all(list.map(async (t) => new Float32Array(await t.data()))),
    };
    tf.dispose(list);
  }
  expect(results.wasm.shapes, `${label}: shapes`).to.deep.equal(results.cpu.shapes);
  let worst: Comparison = { maxDiff: 0, scale: 1, size: 0 };
  results.cpu.values.forEach((cpu, i) => {
    const c = compareArrays(cpu, results.wasm.values[i]!);
    expect(c.maxDiff, `${label} output ${i}: max abs diff ${c.maxDiff} vs scale ${c.scale}`)
      .to.be.at.most(tol * c.scale);
    if (c.maxDiff / c.scale > worst.maxDiff / worst.scale) worst = c;
  });
  return worst;
}
