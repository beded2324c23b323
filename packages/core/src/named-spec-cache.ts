import { isFlatRecord } from './options.js';
import type { RegisteredLoss } from './registry.js';

/** What a name without options resolves to while the registrations stay as they are. */
export interface NamedSpecPlan {
  readonly entry: RegisteredLoss;
  /** The validated default options; copied for every resolution. */
  readonly options: Readonly<Record<string, unknown>>;
}

/**
 * Names without options ('mae', { name: 'mae', reduction: 'sum' }) are the commonest specs: a
 * trainer's `loss: 'mse'`, a metric list, tools that resolve in loops. Resolving one always
 * comes to the same registration and the same default options, so after the first time
 * resolution skips the name lookup and the option parse (and, for a bare name, the spec
 * checks). Keyed by the name as written (an alias is its own key). The registry empties the
 * cache on every register and unregister.
 */
export class NamedSpecCache {
  private readonly plans = new Map<string, NamedSpecPlan>();

  get(name: string): NamedSpecPlan | undefined {
    return this.plans.get(name);
  }

  remember(name: string, entry: RegisteredLoss, options: Record<string, unknown>): void {
    // Only flat option values: a cached default array or object could be mutated by a plugin.
    if (isFlatRecord(options)) this.plans.set(name, { entry, options: { ...options } });
  }

  clear(): void {
    this.plans.clear();
  }
}
