import * as tf from '@tensorflow/tfjs';

/**
 * The values some variables hold now, kept so a step that must not count can be undone. Nothing
 * is copied: a clone shares its variable's data, and an optimizer update gives the variable new
 * data rather than writing over the old, so the clone keeps the old values alive until it is
 * disposed. Putting them back is an `assign` of that shared data, again without a copy.
 */
export class VariableSnapshot {
  private readonly saved: Array<readonly [tf.Variable, tf.Tensor]>;
  /** How many variables were saved (before keepChanged drops any). */
  readonly taken: number;

  constructor(variables: Iterable<tf.Variable>) {
    this.saved = Array.from(variables, (variable) => [variable, tf.clone(variable)] as const);
    this.taken = this.saved.length;
  }

  /** Every variable the engine knows: the model's weights and whatever state its optimizer keeps. */
  static ofAllVariables(): VariableSnapshot {
    return new VariableSnapshot(Object.values(tf.engine().state.registeredVariables));
  }

  /**
   * Keeps only the variables whose values changed since the snapshot (dropping the others'
   * clones) and returns the bytes their saved values hold: what restoring has to put back.
   */
  keepChanged(): number {
    let bytes = 0;
    const kept = this.saved.filter(([variable, value]) => {
      const changed = variable.isDisposed || variable.dataId !== value.dataId;
      if (changed) bytes += value.size * 4;
      else value.dispose();
      return changed;
    });
    this.saved.splice(0, this.saved.length, ...kept);
    return bytes;
  }

  /** Puts the saved values back (variables disposed since are skipped). */
  restore(): void {
    for (const [variable, value] of this.saved) {
      if (!variable.isDisposed && variable.dataId !== value.dataId) variable.assign(value);
    }
  }

  dispose(): void {
    for (const [, value] of this.saved) value.dispose();
  }
}

/** How many variables the engine knows; a step that changes it has created state no snapshot holds. */
export function registeredVariableCount(): number {
  return Object.keys(tf.engine().state.registeredVariables).length;
}
