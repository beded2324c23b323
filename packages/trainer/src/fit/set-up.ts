/** What a trainer resolves once, on first use: the backend, the compiled loss and metrics. */
import type * as tf from '@tensorflow/tfjs';
import { useOrSelectBackend, type BackendChoice } from '../backend.js';
import type { Logger } from '../logger.js';
import type { TrainerOptions } from '../trainer-options.js';
import { CompiledLoss } from './compiled-loss.js';
import { CompiledMetrics } from './compiled-metrics.js';

export interface SetUp {
  loss: CompiledLoss;
  metrics: CompiledMetrics;
  backend: BackendChoice;
}

type SetUpOptions = Pick<TrainerOptions, 'backend' | 'loss' | 'lossWeights' | 'metrics' | 'plugins'>;

/** Selects the backend (reusing one already selected, e.g. by `await selectBackend()` before the model was built), then resolves the losses and metrics. */
export async function prepareSetUp(model: tf.LayersModel, options: SetUpOptions, logger: Logger): Promise<SetUp> {
  const backend = await useOrSelectBackend(options.backend ?? 'auto', { model, logger });
  const loss = await CompiledLoss.compile(model, options.loss, options.lossWeights, options.plugins);
  try {
    const metrics = await CompiledMetrics.compile(model, options.metrics, loss, options.plugins);
    return { loss, metrics, backend };
  } catch (error) {
    loss.dispose();
    throw error;
  }
}
