import { VersionMismatchError } from '../errors.js';
import { CORE_API_VERSION } from '../version.js';
import { registerBuiltinMetrics } from './builtin-metrics.js';
import { lossAsMetric } from './loss-metric.js';
import { MetricRegistry } from './registry.js';

// As for losses: one registry per process on globalThis, shared by copies of core with the
// same major API, so a metric package with its own nested core still registers where the
// trainer looks.
const METRIC_REGISTRY_KEY = Symbol.for('losskit.metric-registry');
type GlobalWithMetrics = typeof globalThis & { [METRIC_REGISTRY_KEY]?: MetricRegistry };

export function getMetricRegistry(): MetricRegistry {
  const holder = globalThis as GlobalWithMetrics;
  const existing = holder[METRIC_REGISTRY_KEY];
  if (existing) {
    if (existing.apiVersion.split('.')[0] !== CORE_API_VERSION.split('.')[0]) {
      throw new VersionMismatchError(
        `Two incompatible copies of @losskit/core are loaded (metric API ${existing.apiVersion} and ${CORE_API_VERSION}); deduplicate @losskit/core.`,
      );
    }
    return existing;
  }
  const registry = new MetricRegistry();
  holder[METRIC_REGISTRY_KEY] = registry;
  registerBuiltinMetrics(registry);
  registry.setFallback(lossAsMetric);
  return registry;
}
