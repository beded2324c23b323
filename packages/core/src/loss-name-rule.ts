import { LossKitError } from './errors.js';
import { isValidLossName } from './plugin-names.js';

/**
 * A plugin registering a canonical name that is not lowercase kebab-case ('AcmeX', 'my_loss',
 * 'a/b', ''). Such a name can never be discovered (no package name is derived from it), a saved
 * model naming it cannot be loaded in a fresh process, and testkit's registration check refuses
 * it: refusing it when it is registered says so where the plugin is written.
 */
export class InvalidLossNameError extends LossKitError {
  constructor(
    readonly lossName: string,
    readonly owner: string,
    /** A kebab-case form of the name, when one can be derived. */
    readonly suggestion: string | undefined,
  ) {
    const instead = suggestion ? `, e.g. '${suggestion}'` : ", e.g. 'my-loss'";
    super(
      `${owner} registers the loss name ${JSON.stringify(lossName)}, which is not lowercase kebab-case: ` +
        `a canonical loss name is lowercase letters and digits in words joined by '-', optionally scoped ` +
        `('huber', 'focal-loss', '@acme/ssim'), because discovery derives package names from it. ` +
        `Register a kebab-case name${instead}; other spellings (Keras's 'mean_squared_error', ` +
        `'MeanSquaredError') can be aliases.`,
    );
  }
}

/** Throws InvalidLossNameError unless `name` matches LOSS_NAME_PATTERN. */
export function assertLossName(name: string, owner: string): void {
  if (typeof name === 'string' && isValidLossName(name)) return;
  throw new InvalidLossNameError(String(name), owner, typeof name === 'string' ? kebabCase(name) : undefined);
}

/** 'AcmeX' → 'acme-x', 'my_loss' → 'my-loss', 'a/b' → 'a-b', '@Acme/Foo' → '@acme/foo'; undefined if nothing valid remains. */
export function kebabCase(name: string): string | undefined {
  const words = (part: string) =>
    part
      .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
      .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '');
  const scoped = /^@([^/]+)\/([^/]+)$/.exec(name);
  const result = scoped ? `@${words(scoped[1]!)}/${words(scoped[2]!)}` : words(name);
  return isValidLossName(result) ? result : undefined;
}
