/** The messages between the trainer and its gradient workers (structured-clone plain data only). */
import type { SavedLossSpec } from '@losskit/core';
import type { LossWeightsOption } from './compiled-loss.js';

/** A tensor as plain data: rows of a batch, in the batch's dtype. */
export interface PlainTensor {
  values: Float32Array | Int32Array | Uint8Array;
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
}

export interface WorkerSetup {
  /** 1..workers-1: the trainer's own thread is replica 0. */
  index: number;
  workers: number;
  /** The trainer's backend; the worker activates the same one. */
  backend: string;
  modelTopology: unknown;
  /** All of the model's weights, in model.getWeights() order. */
  weights: PlainTensor[];
  /** One resolved spec per output, in output order, and their weights. */
  losses: SavedLossSpec[];
  lossWeights: LossWeightsOption;
  /** The trainer's `plugins` (package names) and the fit's `workerImports` (resolved specifiers). */
  plugins: string[];
  imports: string[];
  /** Trainable weights, flat in model.trainableWeights order: the trainer writes them before every step. */
  sharedWeights: SharedArrayBuffer;
  /** This worker's gradient, same layout as sharedWeights. */
  gradientSlot: SharedArrayBuffer;
  /** Whether the trainer has metrics (then the worker sends its predictions back). */
  wantsPredictions: boolean;
}

/** Rows of a batch tensor in the request's shared `rows` buffer, from byte `offset`. */
export interface SharedRows {
  offset: number;
  shape: number[];
  dtype: PlainTensor['dtype'];
}

export interface StepRequest {
  type: 'step';
  epoch: number;
  batch: number;
  /** The seed of Dropout & co. for this replica's slice, when the fit is seeded. */
  seed: string | undefined;
  /**
   * This worker's input buffer, reused from step to step (replaced by a larger one when a batch
   * needs more): fresh arrays per step cost an allocation each and feed the garbage collector.
   * The trainer writes it only while the worker is idle (before a request, after its reply).
   */
  rows: SharedArrayBuffer;
  xs: SharedRows[];
  ys: SharedRows[];
  weights: (SharedRows | null)[];
  /** Per output: reduced slice loss x factor = the slice's share of the batch's (parallel-share.ts). */
  factors: number[];
}

export type WorkerReply =
  | { type: 'ready' }
  /** The shares of the batch's loss values in the trainer's `loss.keys` order; the gradient is in the slot. */
  | { type: 'done'; values: Float64Array; predictions: PlainTensor[] }
  | { type: 'error'; name: string; message: string; where: string };
