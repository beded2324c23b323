export type { Metric, MetricState, ResolvedMetric, MetricSpec, SavedMetricSpec, MetricMetadata, MetricClass } from './metric.js';
export { MetricRegistry, type RegisteredMetric, type MetricDescription, type MetricFallback } from './registry.js';
export { getMetricRegistry } from './global.js';
export { RegisterMetric } from './register-metric.js';
export { resolveMetricAsync } from './loss-metric.js';
export { MeanMetric, type MetricFn } from './mean-metric.js';
export { MetricVariables, StatefulMetric } from './state.js';
export { UnknownMetricError, DuplicateMetricError, InvalidMetricOptionsError, MetricInputError } from './errors.js';
// Keras 3's per-sample metric functions, for metrics built from them (MeanMetric).
export { accuracy, binaryAccuracy, categoricalAccuracy, sparseCategoricalAccuracy, topKCategoricalAccuracy, cosineSimilarity } from './accuracy.js';
