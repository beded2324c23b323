import * as z from '../zod-mini.js';
import { CORE_API_VERSION } from '../version.js';
import { accuracy, binaryAccuracy, categoricalAccuracy, cosineSimilarity, sparseCategoricalAccuracy, topKCategoricalAccuracy } from './accuracy.js';
import { Auc, Precision, Recall, thresholdsOption } from './confusion-metrics.js';
import { MeanIou } from './iou.js';
import { MeanMetric, type MetricFn } from './mean-metric.js';
import type { Metric, MetricMetadata } from './metric.js';
import type { MetricRegistry } from './registry.js';

const coreApi = `^${CORE_API_VERSION}`;
const OWNER = '@losskit/core (built-in metric)';

interface Builtin {
  meta: Omit<MetricMetadata, 'coreApi'>;
  build(options: Record<string, unknown>): Metric;
}

const mean = (name: string, fn: MetricFn) => new MeanMetric(name, fn);
// Option schemas in zod/mini (../zod-mini.ts): `z._default(s, v)` is classic `s.default(v)`.
const int = () => z.number().check(z.int());

// Keras 3's metrics, kebab-case names with Keras's snake_case names as aliases.
const BUILTINS: Builtin[] = [
  {
    meta: { name: 'accuracy', description: 'Fraction of elements where y_pred equals y_true exactly (Keras `Accuracy`).' },
    build: () => mean('accuracy', accuracy),
  },
  {
    meta: {
      name: 'binary-accuracy',
      aliases: ['binary_accuracy'],
      description: 'Fraction of elements where (y_pred > threshold) equals y_true.',
      options: z.object({ threshold: z._default(z.number(), 0.5) }),
    },
    build: (o) => mean('binary-accuracy', binaryAccuracy(o.threshold as number)),
  },
  {
    meta: { name: 'categorical-accuracy', aliases: ['categorical_accuracy'], description: 'argmax(y_pred) equals argmax(y_true), one-hot targets.' },
    build: () => mean('categorical-accuracy', categoricalAccuracy),
  },
  {
    meta: { name: 'sparse-categorical-accuracy', aliases: ['sparse_categorical_accuracy'], description: 'argmax(y_pred) equals the integer label.' },
    build: () => mean('sparse-categorical-accuracy', sparseCategoricalAccuracy),
  },
  {
    meta: {
      name: 'top-k-categorical-accuracy',
      aliases: ['top_k_categorical_accuracy'],
      description: "The one-hot target's class is among the k highest predictions (ties included).",
      options: z.object({ k: z._default(int().check(z.minimum(1)), 5) }),
    },
    build: (o) => mean('top-k-categorical-accuracy', topKCategoricalAccuracy(o.k as number)),
  },
  {
    meta: {
      name: 'precision',
      description: 'TP / (TP + FP) of predictions above a threshold (0.5), optionally of one class or the top k.',
      options: z.object({ thresholds: thresholdsOption, topK: z.optional(int().check(z.minimum(1))), classId: z.optional(int().check(z.minimum(0))) }),
    },
    build: (o) => new Precision(o as never),
  },
  {
    meta: {
      name: 'recall',
      description: 'TP / (TP + FN) of predictions above a threshold (0.5), optionally of one class or the top k.',
      options: z.object({ thresholds: thresholdsOption, topK: z.optional(int().check(z.minimum(1))), classId: z.optional(int().check(z.minimum(0))) }),
    },
    build: (o) => new Recall(o as never),
  },
  {
    meta: {
      name: 'auc',
      description: "Area under the ROC or precision-recall curve from per-threshold counts (Keras `AUC`, Keras's interpolation).",
      options: z.object({
        numThresholds: z._default(int().check(z.minimum(2)), 200),
        curve: z._default(z.enum(['ROC', 'PR']), 'ROC'),
        summationMethod: z._default(z.enum(['interpolation', 'minoring', 'majoring']), 'interpolation'),
        thresholds: z.optional(z.array(z.number().check(z.minimum(0), z.maximum(1)))),
        fromLogits: z._default(z.boolean(), false),
      }),
    },
    build: (o) => new Auc(o as never),
  },
  {
    meta: {
      name: 'mean-iou',
      aliases: ['mean_iou'],
      description: 'Mean intersection-over-union over classes from an accumulated confusion matrix (Keras `MeanIoU`).',
      options: z.object({
        numClasses: int().check(z.minimum(2)),
        ignoreClass: z.optional(int()),
        sparseYTrue: z._default(z.boolean(), true),
        sparseYPred: z._default(z.boolean(), true),
      }),
    },
    build: (o) => new MeanIou(o as never),
  },
  {
    meta: { name: 'cosine-similarity', aliases: ['cosine_similarity'], description: 'Cosine of the angle between y_true and y_pred over the last axis (larger is better).' },
    build: () => mean('cosine-similarity', cosineSimilarity),
  },
];

export function registerBuiltinMetrics(registry: MetricRegistry): void {
  for (const { meta, build } of BUILTINS) registry.register({ meta: { ...meta, coreApi }, owner: OWNER, build });
}
