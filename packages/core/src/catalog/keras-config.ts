import { LossSpecError, describeValue } from '../errors.js';
import { isReduction, REDUCTIONS, type Reduction } from '../reduction.js';

/**
 * A Keras serialized loss, as `keras.losses.serialize(loss)` or a saved `compile_config` gives
 * it: `{ class_name: 'BinaryCrossentropy', config: { from_logits: true, reduction: 'sum' } }`
 * (`module` and `registered_name` may be present too).
 */
export interface KerasLossConfig {
  class_name: string;
  config?: Record<string, unknown>;
  module?: string;
  registered_name?: string | null;
}

export function isKerasLossConfig(spec: unknown): spec is KerasLossConfig {
  return typeof spec === 'object' && spec !== null && 'class_name' in spec && !('name' in spec);
}

const TOP_LEVEL_KEYS = new Set(['class_name', 'config', 'module', 'registered_name']);

/** The { name, options, reduction } a Keras config stands for; option keys become camelCase. */
export function fromKerasConfig(spec: KerasLossConfig): { name: string; options: Record<string, unknown>; reduction?: Reduction } {
  const where = `Keras loss config ${describeValue(spec.class_name)}`;
  if (typeof spec.class_name !== 'string' || !spec.class_name) {
    throw new LossSpecError(`A Keras loss config needs a class_name such as 'BinaryCrossentropy' (got ${describeValue(spec.class_name)}).`);
  }
  for (const key of Object.keys(spec)) {
    if (!TOP_LEVEL_KEYS.has(key)) throw new LossSpecError(`${where}: unknown key '${key}'; a Keras config has class_name, config, module and registered_name.`);
  }
  const config = spec.config ?? {};
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new LossSpecError(`${where}: config must be an object of the loss's arguments (got ${describeValue(config)}).`);
  }
  const options: Record<string, unknown> = {};
  let reduction: Reduction | undefined;
  for (const [key, value] of Object.entries(config)) {
    if (key === 'name') continue; // the Keras instance's name, not a loss option
    if (key === 'dtype') {
      assertFloat32(where, value);
      continue;
    }
    if (key === 'reduction') {
      reduction = kerasReduction(where, value);
      continue;
    }
    if (key === 'fn') throw new LossSpecError(`${where}: a LossFunctionWrapper's function cannot be restored from a config; name the loss instead.`);
    options[snakeToCamel(key)] = value;
  }
  return { name: spec.class_name, options, ...(reduction ? { reduction } : {}) };
}

function kerasReduction(where: string, value: unknown): Reduction {
  // Keras's reduction=None means no reduction.
  if (value === null) return 'none';
  if (isReduction(value)) return value;
  throw new LossSpecError(`${where}: unknown reduction ${describeValue(value)}; use one of ${REDUCTIONS.join(', ')} (or null).`);
}

function assertFloat32(where: string, value: unknown): void {
  const name = typeof value === 'object' && value !== null ? (value as { config?: { name?: unknown } }).config?.name : value;
  if (name === null || name === undefined || name === 'float32') return;
  throw new LossSpecError(`${where}: dtype ${describeValue(name)} is not supported; losskit computes losses in float32 (remove dtype).`);
}

export function snakeToCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}
