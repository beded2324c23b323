import type { CheckId } from '../config.js';
import type { CheckContext } from '../context.js';

/** One check of the kit; `run` throws a CheckFailure (or the plugin's own error) when it fails. */
export interface LossCheck {
  readonly id: CheckId;
  readonly title: string;
  run(context: CheckContext): Promise<void>;
}
