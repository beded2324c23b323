/**
 * Which packages a loss name may cause to be imported. A loss name comes from data (a saved
 * model, a config file), so it must never be able to name arbitrary code: only names matching
 * LOSS_NAME_PATTERN become package names, and only the conventional ones.
 */
/** Lowercase kebab-case, optionally scoped: `huber`, `focal-loss`, `@acme/ssim`. */
export const LOSS_NAME_PATTERN = /^(?:@([a-z0-9]+(?:-[a-z0-9]+)*)\/)?([a-z0-9]+(?:-[a-z0-9]+)*)$/;
/**
 * A bare npm package name, optionally scoped, no subpath: refuses './x', '/x', 'file:...',
 * 'https://...', 'pkg/../x' and anything with uppercase letters or spaces.
 */
const PACKAGE_NAME_PATTERN = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
// npm's limit; longer names are not packages anyone can install.
const MAX_PACKAGE_NAME_LENGTH = 214;
export function isValidLossName(name) {
    return name.length <= MAX_PACKAGE_NAME_LENGTH && LOSS_NAME_PATTERN.test(name);
}
export function isValidPackageName(name) {
    return name.length <= MAX_PACKAGE_NAME_LENGTH && PACKAGE_NAME_PATTERN.test(name) && !name.includes('..');
}
/**
 * The packages that may provide a loss, in the order they are tried; empty for a name that
 * does not match LOSS_NAME_PATTERN.
 * - `huber` → `@losskit/loss-huber`, `losskit-loss-huber`
 * - `@acme/ssim` → `@acme/losskit-loss-ssim`
 */
export function candidatePackages(lossName) {
    const match = isValidLossName(lossName) ? LOSS_NAME_PATTERN.exec(lossName) : null;
    if (!match)
        return [];
    const [, scope, base] = match;
    if (scope)
        return [`@${scope}/losskit-loss-${base}`];
    return [`@losskit/loss-${base}`, `losskit-loss-${base}`];
}
