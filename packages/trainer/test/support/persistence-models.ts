// Small real models and data for the persistence tests: seeded initialisers and formula data,
// so two builds start from identical weights without copying tensors around.
import * as tf from '@tensorflow/tfjs';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

export function buildMlp(seed = 7, inputs = 6, hidden = 16): tf.LayersModel {
  const model = tf.sequential();
  model.add(
    tf.layers.dense({
      units: hidden,
      inputShape: [inputs],
      activation: 'tanh',
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
    }),
  );
  model.add(tf.layers.dense({ units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }));
  return model;
}

/** x in [-1, 1] from a fixed formula, y a smooth function of x: learnable, reproducible. */
export function formulaData(samples = 64, inputs = 6): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < samples; i++) {
    const row = Array.from({ length: inputs }, (_, j) => Math.sin(i * 1.3 + j * 0.7));
    xs.push(...row);
    ys.push(row.reduce((a, b) => a + b, 0) / inputs, row[0]! * row[1]!);
  }
  return { x: tf.tensor2d(xs, [samples, inputs]), y: tf.tensor2d(ys, [samples, 2]) };
}

export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `losskit-${prefix}-`));
}

/**
 * Mocha hooks for the enclosing describe: the cpu backend before its tests, and a new temporary
 * directory for each test (handed to `receive`), removed after that test.
 */
export function useTempDirPerTest(prefix: string, receive: (dir: string) => void): void {
  let dir: string | undefined;
  before(async () => {
    await tf.setBackend('cpu');
  });
  beforeEach(() => {
    dir = makeTempDir(prefix);
    receive(dir);
  });
  afterEach(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
}

/** The same with one temporary directory for the whole describe, removed after its tests. */
export function useTempDirPerSuite(prefix: string, receive: (dir: string) => void): void {
  let dir: string | undefined;
  before(async () => {
    await tf.setBackend('cpu');
    dir = makeTempDir(prefix);
    receive(dir);
  });
  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
}

/** Every file under `dir` with its bytes, to show that a failed load changed nothing. */
export function snapshotDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, file)] = fs.readFileSync(file).toString('base64');
  }
  return out;
}

/** The pid of a process that has exited: what a killed writer's leftovers carry in their names. */
export function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid!;
}
