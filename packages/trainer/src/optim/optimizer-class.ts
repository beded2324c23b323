import * as tf from '@tensorflow/tfjs';

/** A registered TF.js optimizer class and the fromConfig that builds it. */
export interface OptimizerClassEntry {
  cls: tf.serialization.SerializableConstructor<tf.serialization.Serializable>;
  fromConfig: (cls: tf.serialization.SerializableConstructor<tf.serialization.Serializable>, config: tf.serialization.ConfigDict) => tf.serialization.Serializable;
}

/**
 * Looks a class name read from a file up in TF.js's serialization map, which is a plain object
 * holding layers, initializers and constraints as well as optimizers: an own key only (so
 * 'toString' or 'constructor' are not found on its prototype), and only a tf.Optimizer subclass
 * (so a file cannot make losskit build a Dense layer where an optimizer belongs).
 */
export function lookUpOptimizerClass(className: unknown): OptimizerClassEntry | 'unknown' | 'not-an-optimizer' {
  const map = tf.serialization.SerializationMap.getMap().classNameMap;
  if (typeof className !== 'string' || !Object.hasOwn(map, className)) return 'unknown';
  const entry = map[className];
  if (!Array.isArray(entry) || typeof entry[1] !== 'function') return 'unknown';
  const [cls, fromConfig] = entry;
  // tf.Optimizer answers instanceof by duck typing on instances; a prototype chain check is exact.
  if (!(typeof cls === 'function' && Object.prototype.isPrototypeOf.call(tf.Optimizer.prototype, cls.prototype))) return 'not-an-optimizer';
  return { cls, fromConfig } as OptimizerClassEntry;
}
