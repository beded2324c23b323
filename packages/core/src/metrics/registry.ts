import { closest } from 'fastest-levenshtein';
import { satisfiesRange } from '../plugin-factory.js';
import * as z from '../zod-mini.js';
import { InvalidOptionsError, LossKitError, LossSpecError, VersionMismatchError } from '../errors.js';
import { defaultOptions, strictSchema, validateOptions } from '../options.js';
import { CORE_API_VERSION } from '../version.js';
import { DuplicateMetricError, InvalidMetricOptionsError, MetricInputError, UnknownMetricError } from './errors.js';
import type { Metric, MetricMetadata, MetricSpec, MetricState, ResolvedMetric, SavedMetricSpec } from './metric.js';

/** One registration, shared by its canonical name and aliases. */
export interface RegisteredMetric {
  readonly meta: MetricMetadata;
  readonly owner: string;
  readonly build: (options: Record<string, unknown>) => Metric;
}

/** How a name the metric registry does not know becomes a metric (core wires in the losses). */
export type MetricFallback = (name: string, options: Record<string, unknown>) => ResolvedMetric | undefined;

export interface MetricDescription {
  name: string;
  aliases: string[];
  description: string;
  direction: 'up' | 'down';
  optionsSchema: Record<string, unknown>;
  defaults: Record<string, unknown> | undefined;
}

/**
 * The process-wide metric registry (`getMetricRegistry()`): metrics by name with validated
 * options, as the loss registry does for losses.
 */
export class MetricRegistry {
  readonly apiVersion = CORE_API_VERSION;
  private readonly byName = new Map<string, RegisteredMetric>();
  private readonly canonical = new Map<string, RegisteredMetric>();
  private fallback: MetricFallback | undefined;

  register(entry: RegisteredMetric): void {
    const { meta } = entry;
    if (!satisfiesRange(CORE_API_VERSION, meta.coreApi)) {
      throw new VersionMismatchError(
        `Metric '${meta.name}' (${entry.owner}) supports @losskit/core API ${meta.coreApi}, but the running core implements ${CORE_API_VERSION}.`,
      );
    }
    const names = [meta.name, ...(meta.aliases ?? [])];
    for (const name of names) {
      const existing = this.byName.get(name);
      if (existing && !meta.override && existing.owner !== entry.owner) throw new DuplicateMetricError(name, existing.owner, entry.owner);
    }
    for (const name of names) this.byName.set(name, entry);
    this.canonical.set(meta.name, entry);
  }

  unregister(name: string): boolean {
    const entry = this.byName.get(name);
    if (!entry) return false;
    for (const [key, value] of [...this.byName]) if (value === entry) this.byName.delete(key);
    this.canonical.delete(entry.meta.name);
    return true;
  }

  /** Whether a name is a registered metric (losses usable as metrics are not listed). */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  list(): string[] {
    return [...this.canonical.keys()].sort();
  }

  describe(name: string): MetricDescription {
    const { meta } = this.get(name);
    return {
      name: meta.name,
      aliases: [...(meta.aliases ?? [])],
      description: meta.description,
      direction: meta.direction ?? 'up',
      optionsSchema: meta.options ? (z.toJSONSchema(meta.options, { io: 'input' }) as Record<string, unknown>) : {},
      defaults: defaultOptions(meta.options),
    };
  }

  /** Installs what resolves names that are not metrics (core: every registered loss). */
  setFallback(fallback: MetricFallback | undefined): void {
    this.fallback = fallback;
  }

  /**
   * Builds a new metric for a spec (`'auc'` or `{ name, options }`): a registered metric, else a
   * registered loss as the weighted mean of its per-sample values (Keras `MeanMetricWrapper`).
   */
  resolve(spec: MetricSpec): ResolvedMetric {
    const { name, options } = normalizeMetricSpec(spec);
    const entry = this.byName.get(name);
    if (!entry) {
      const fromLoss = this.fallback?.(name, options);
      if (fromLoss) return fromLoss;
      throw new UnknownMetricError(name, this.list(), this.closestName(name));
    }
    const validated = validateMetricOptions(entry.meta, options);
    const metric = entry.build(validated);
    const saved: SavedMetricSpec = { name: entry.meta.name, options: validated, ...(entry.meta.package ? { package: { ...entry.meta.package } } : {}) };
    return withIdentity(metric, saved, entry.meta.direction ?? 'up');
  }

  private get(name: string): RegisteredMetric {
    const entry = this.byName.get(name);
    if (!entry) throw new UnknownMetricError(name, this.list(), this.closestName(name));
    return entry;
  }

  private closestName(name: string): string | undefined {
    const names = [...this.canonical.keys(), ...[...this.byName.keys()].filter((key) => !this.canonical.has(key))];
    return names.length ? closest(name, names) : undefined;
  }
}

export function normalizeMetricSpec(spec: MetricSpec): { name: string; options: Record<string, unknown> } {
  if (typeof spec === 'string') return { name: spec, options: {} };
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec) || typeof spec.name !== 'string') {
    throw new LossSpecError(`A metric spec is a name or { name, options? }, e.g. { name: 'auc', options: { curve: 'PR' } }; got ${JSON.stringify(spec)}.`);
  }
  const unknown = Object.keys(spec).filter((key) => key !== 'name' && key !== 'options');
  if (unknown.length) throw new LossSpecError(`Metric spec '${spec.name}': unknown key(s) ${unknown.join(', ')}; a metric spec has only name and options.`);
  const options = spec.options ?? {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new LossSpecError(`Metric spec '${spec.name}': options must be an object.`);
  }
  return { name: spec.name, options: options as Record<string, unknown> };
}

function validateMetricOptions(meta: MetricMetadata, options: Record<string, unknown>): Record<string, unknown> {
  try {
    return validateOptions(meta.name, meta.options && strictSchema(meta.options), options);
  } catch (error) {
    // The loss validator's message says "loss"; the problems are the same.
    if (error instanceof InvalidOptionsError) throw new InvalidMetricOptionsError(meta.name, error.problems);
    throw error;
  }
}

/** Gives a built metric its name, spec, direction and state access. */
export function withIdentity(metric: Metric, spec: SavedMetricSpec, direction: 'up' | 'down'): ResolvedMetric {
  const stateful = metric as Partial<Pick<ResolvedMetric, 'getState' | 'setState'>>;
  return {
    name: spec.name,
    spec,
    direction,
    update: (yTrue, yPred, sampleWeight) => {
      try {
        metric.update(yTrue, yPred, sampleWeight);
      } catch (error) {
        throw namedUpdateError(spec.name, yTrue.shape, yPred.shape, error);
      }
    },
    result: () => metric.result(),
    reset: () => metric.reset(),
    dispose: () => metric.dispose(),
    getState: (): MetricState => (stateful.getState ? stateful.getState() : {}),
    setState: (state: MetricState) => stateful.setState?.(state),
  };
}

/**
 * A metric's update that fails inside TF.js ("Operands could not be broadcast", "b is not
 * iterable") says which metric and shapes it was; losskit's own errors already do.
 */
function namedUpdateError(name: string, yTrue: readonly number[], yPred: readonly number[], error: unknown): unknown {
  if (error instanceof LossKitError || !(error instanceof Error)) return error;
  return new MetricInputError(
    `Metric '${name}' could not update with y_true of shape [${yTrue}] and y_pred of shape [${yPred}]: ${error.message}. ` +
      'Give it targets and predictions of the shapes it takes (one-hot and probability metrics: the same shape; sparse ones: integer labels).',
  );
}
