// Symbol.for keys so that two copies of core (or of a plugin) agree on the same tokens.
/** The validated options object, defaults filled in. */
export const LOSS_OPTIONS = Symbol.for('losskit.token.options');
/** The canonical name the plugin is being built under. */
export const LOSS_NAME = Symbol.for('losskit.token.name');
