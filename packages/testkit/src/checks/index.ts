import type { LossCheck } from './check.js';
import { determinismCheck } from './determinism.js';
import { finiteCheck } from './finite.js';
import { gradientCheck } from './gradient.js';
import { memoryCheck } from './memory.js';
import { optionsCheck } from './options.js';
import { reductionsCheck } from './reductions.js';
import { registrationCheck } from './registration.js';
import { serializationCheck } from './serialization.js';
import { shapesCheck } from './shapes.js';

/** Every check, in the order they run (the order of CHECK_IDS). */
export const LOSS_CHECKS: readonly LossCheck[] = [
  registrationCheck,
  optionsCheck,
  shapesCheck,
  finiteCheck,
  gradientCheck,
  reductionsCheck,
  determinismCheck,
  memoryCheck,
  serializationCheck,
];

export type { LossCheck } from './check.js';
