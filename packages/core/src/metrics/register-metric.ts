import type { $ZodType } from 'zod/v4/core';
import { getMetricRegistry } from './global.js';
import type { Metric, MetricClass, MetricMetadata } from './metric.js';

/**
 * Class decorator: registers a stateful metric by name; the registry constructs it with its
 * validated options.
 *
 * ```ts
 * @RegisterMetric({ name: 'acme-max-error', description: 'Largest absolute error seen.', coreApi: '^1.0.0', direction: 'down' })
 * class MaxError implements Metric { ... }
 * ```
 */
export function RegisterMetric<S extends $ZodType>(meta: MetricMetadata<S>) {
  return <C extends MetricClass>(metricClass: C): C => {
    const owner = meta.package ? `${meta.package.name}@${meta.package.version} (class ${metricClass.name})` : `class ${metricClass.name}`;
    getMetricRegistry().register({ meta, owner, build: (options) => new metricClass(options as never) as Metric });
    return metricClass;
  };
}
