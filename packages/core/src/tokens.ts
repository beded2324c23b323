import type { InjectionToken } from 'tsyringe';

// Symbol.for keys so that two copies of core (or of a plugin) agree on the same tokens.

/** The validated options object, defaults filled in. */
export const LOSS_OPTIONS: InjectionToken<Record<string, unknown>> = Symbol.for('losskit.token.options');
/** The canonical name the plugin is being built under. */
export const LOSS_NAME: InjectionToken<string> = Symbol.for('losskit.token.name');
