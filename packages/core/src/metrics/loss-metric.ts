import { getLossRegistry } from '../global-registry.js';
import type { ResolveAsyncOptions } from '../registry.js';
import type { ResolvedLoss } from '../resolved-loss.js';
import { getMetricRegistry } from './global.js';
import { MeanMetric } from './mean-metric.js';
import type { MetricSpec, ResolvedMetric } from './metric.js';
import { normalizeMetricSpec, withIdentity } from './registry.js';

/**
 * A registered loss as a metric: the weighted mean of its per-sample values over the epoch
 * (Keras `MeanMetricWrapper(loss_fn)`), whatever the loss's own reduction.
 */
export function lossAsMetric(name: string, options: Record<string, unknown>): ResolvedMetric | undefined {
  const losses = getLossRegistry();
  if (!losses.has(name)) return undefined;
  // Registered names only, and a loss that needs asynchronous setup is refused: resolveMetricAsync runs it.
  return wrapLoss(losses.resolveSync({ name, options }));
}

function wrapLoss(loss: ResolvedLoss): ResolvedMetric {
  const mean = new MeanMetric(loss.name, (yTrue, yPred) => loss.perSample(yTrue, yPred));
  const spec = loss.spec as { name: string; options: Record<string, unknown>; package?: { name: string; version: string } };
  const resolved = withIdentity(mean, { name: spec.name, options: spec.options, ...(spec.package ? { package: spec.package } : {}) }, 'down');
  return {
    ...resolved,
    dispose: () => {
      mean.dispose();
      loss.dispose();
    },
  };
}

/**
 * Resolves a metric spec, first letting package discovery find a loss plugin for a name
 * nobody registered, and awaiting that loss's asynchronous setup.
 */
export async function resolveMetricAsync(spec: MetricSpec, options: ResolveAsyncOptions = {}): Promise<ResolvedMetric> {
  const metrics = getMetricRegistry();
  const { name, options: metricOptions } = normalizeMetricSpec(spec);
  if (metrics.has(name)) return metrics.resolve(spec);
  const losses = getLossRegistry();
  await losses.load([name], options);
  if (!losses.has(name)) return metrics.resolve(spec);
  // resolve runs the loss's asynchronous setup (and disposes it if that fails).
  const loss = await losses.resolve({ name, options: metricOptions }, options);
  return wrapLoss(loss);
}
