import type * as tf from '@tensorflow/tfjs';
import { TRAINING_OPTIMIZER_CLASS } from '../optim/class-name.js';
import { TrainerFileError } from './errors.js';
import { DESCRIBED_OPTIMIZERS } from './optimizer-configs.js';
import type { NamedTensor, SavedOptimizer } from './optimizer-state.js';

/**
 * Checks decoded optimizer slots against the variables they will update, before any optimizer is
 * touched. TF.js's setWeights checks nothing: it splits the list by its length (an empty list
 * reads `undefined.tensor`, Adam's slots given to SGD throw a bare Error), and slots of the wrong
 * shape load and fail inside the next step. The layouts are those of tfjs-core 4.x getWeights:
 * an int32 scalar iteration count, then for each kind of slot one tensor per trainable variable,
 * in the model's trainableWeights order (or no slots at all before the first step).
 */

/** What a slot must match: a trainable variable of the model the state is restored for. */
export interface SlotTarget {
  readonly name: string;
  readonly shape: readonly (number | null)[];
}

export async function checkOptimizerSlots(saved: SavedOptimizer, values: readonly NamedTensor[], variables: readonly SlotTarget[], file: string): Promise<void> {
  const check = new SlotCheck(values, variables, file);
  await check.optimizer(saved.className, saved.config as Record<string, unknown>, 0);
}

class SlotCheck {
  constructor(
    private readonly values: readonly NamedTensor[],
    private readonly variables: readonly SlotTarget[],
    private readonly file: string,
  ) {}

  /** Checks the slots of `className` from `start` to the end of the list. */
  async optimizer(className: string, config: Record<string, unknown>, start: number): Promise<void> {
    if (className === TRAINING_OPTIMIZER_CLASS) return this.trainingOptimizer(config, start);
    const described = Object.hasOwn(DESCRIBED_OPTIMIZERS, className) ? DESCRIBED_OPTIMIZERS[className] : undefined;
    // A class the application registered itself keeps a layout losskit does not know; its own setWeights decides.
    if (!described) return;
    const per = described.slotsPerVariable(config);
    await this.count(start, `the ${className} iteration count`);
    const slots = this.values.length - start - 1;
    const n = this.variables.length;
    // An optimizer keeps slots only for the variables it was given gradients of: a trainable
    // variable the loss never reaches (tf.variableGrads leaves it out) has none, so k <= n.
    const k = slots / per;
    if (slots !== 0 && !(Number.isInteger(k) && k <= n)) {
      throw this.error(
        `optimizer.weights does not hold the slots of a ${className} optimizer for this model: it keeps ${per} slot tensor(s) per trainable variable ` +
          `(${per * n} for the ${n} trainable variables here, fewer for variables no gradient reached), or none before its first step`,
      );
    }
    for (let i = 0; i < slots; i++) this.slotShape(start + 1 + i, k === n ? this.variables[i % n]! : undefined);
  }

  /** [step, learning rate (2 words), accumulator count, accumulators..., plateau (6 words), inner...], as TrainingOptimizer.getWeights writes them. */
  private async trainingOptimizer(config: Record<string, unknown>, start: number): Promise<void> {
    await this.count(start, "the TrainingOptimizer's step");
    this.int32(start + 1, [2], "the TrainingOptimizer's learning rate");
    const accumulators = await this.count(start + 2, "the TrainingOptimizer's accumulator count");
    if (accumulators > this.variables.length) {
      throw this.error(`optimizer.weights gives the TrainingOptimizer gradient accumulators for another model (at most one per trainable variable here, ${this.variables.length})`);
    }
    const all = accumulators === this.variables.length;
    for (let i = 0; i < accumulators; i++) this.slotShape(start + 3 + i, all ? this.variables[i]! : undefined);
    this.int32(start + 3 + accumulators, [6], "the TrainingOptimizer's plateau counters");
    const inner = config.optimizer as { className: string; config: Record<string, unknown> };
    await this.optimizer(inner.className, inner.config, start + 4 + accumulators);
  }

  /** A whole number >= 0 saved as an int32 scalar (an iteration or step count). */
  private async count(index: number, what: string): Promise<number> {
    const tensor = this.int32(index, [], what);
    const value = (await tensor.data())[0]!;
    if (!(Number.isInteger(value) && value >= 0)) throw this.error(`optimizer.weights[${index}] (${what}) must be a whole number >= 0`);
    return value;
  }

  private int32(index: number, shape: readonly number[], what: string): tf.Tensor {
    const tensor = this.values[index]?.tensor;
    if (!tensor) throw this.error(`optimizer.weights ends before ${what} (entry ${index})`);
    if (tensor.dtype !== 'int32' || !sameDims(tensor.shape, shape)) throw this.error(`optimizer.weights[${index}] (${what}) must be an int32 tensor of shape [${shape.join(', ')}]`);
    return tensor;
  }

  /**
   * A float32 slot of `variable`'s shape; without a variable (slots for only some of them, which
   * ones is not recorded) of the shape of one of the trainable variables.
   */
  private slotShape(index: number, variable: SlotTarget | undefined): void {
    const tensor = this.values[index]?.tensor;
    if (!tensor) throw this.error(`optimizer.weights ends before the slot at entry ${index}`);
    const fits = variable ? sameDims(tensor.shape, variable.shape) : this.variables.some((v) => sameDims(tensor.shape, v.shape));
    if (tensor.dtype !== 'float32' || !fits) {
      const shape = variable ? `shape [${variable.shape.join(', ')}] for the trainable variable '${variable.name}'` : 'the shape of a trainable variable of this model';
      throw this.error(`optimizer.weights[${index}] must be a float32 slot of ${shape}`);
    }
  }

  private error(problem: string): TrainerFileError {
    return new TrainerFileError(`${this.file}: ${problem}. The optimizer state is corrupt or was saved for another model; restore the save or checkpoint it was written with.`);
  }
}

function sameDims(a: readonly number[], b: readonly (number | null)[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}
