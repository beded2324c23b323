/** The messages between the parent and its replicas (structured-clone plain data only). */
import type { SavedLossSpec } from '@losskit/core';
import type { SharedLayout } from './shared.js';

/** A shared array of samples: row-major float32 data, first axis the sample. */
export interface SharedSamples {
  buffer: SharedArrayBuffer;
  shape: number[];
}

/** A named tensor as plain data (an optimizer's state crosses threads and fits this way). */
export interface NamedValues {
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface ReplicaSetup {
  index: number;
  workers: number;
  /** model.toJSON() of the parent's model, and its weights in model.getWeights() order. */
  modelTopology: unknown;
  weights: Float32Array[];
  optimizer: { className: string; config: Record<string, unknown> };
  /** The optimizer's state to start from (a previous fit's), if any. */
  optimizerState?: NamedValues[];
  /** One loss per model output, and its weight in the total. */
  losses: SavedLossSpec[];
  lossWeights: number[];
  /** Module specifiers (resolved by the parent) every replica imports before resolving the loss. */
  plugins: string[];
  x: SharedSamples;
  /** One target array per model output. */
  y: SharedSamples[];
  sampleWeight?: SharedSamples;
  batchSize: number;
  epochs: number;
  shared: SharedLayout;
  params: number;
}

/** Milliseconds replica 0 spent on its own gradients, waiting at barriers, and summing + applying. */
export interface ReplicaTiming { gradient: number; wait: number; exchange: number }

export type ReplicaMessage =
  | { type: 'ready' }
  | { type: 'epoch'; epoch: number; loss: number }
  | { type: 'done'; losses: number[]; weights: Float32Array[]; timing: ReplicaTiming; optimizerState: NamedValues[] }
  | { type: 'error'; name: string; message: string; where: string };
