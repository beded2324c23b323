/** Base class: every error losskit throws on purpose is one of these. */
export class LossKitError extends Error {
    constructor(message) {
        super(message);
        this.name = new.target.name;
    }
}
/** A loss name (or alias) that no registered plugin answers to. */
export class UnknownLossError extends LossKitError {
    lossName;
    registered;
    suggestion;
    packageToInstall;
    constructor(lossName, registered, suggestion, packageToInstall) {
        const didYouMean = suggestion ? ` Did you mean '${suggestion}'?` : '';
        const known = registered.length ? registered.join(', ') : '(none)';
        super(`Unknown loss '${lossName}'.${didYouMean} Registered losses: ${known}. ` +
            `If '${lossName}' is published as a plugin, install it (\`pnpm add ${packageToInstall}\`) ` +
            `and import it once (\`import '${packageToInstall}'\`) before resolving the loss.`);
        this.lossName = lossName;
        this.registered = registered;
        this.suggestion = suggestion;
        this.packageToInstall = packageToInstall;
    }
}
/** Two plugins claimed the same name or alias without `override: true`. */
export class DuplicateLossError extends LossKitError {
    lossName;
    existingOwner;
    newOwner;
    constructor(lossName, existingOwner, newOwner) {
        super(`Loss name '${lossName}' is already registered by ${existingOwner}; ${newOwner} tried to ` +
            `register it too. Rename one of them (third-party plugins should use their own prefix), ` +
            `or register with \`override: true\` if replacing it is intended.`);
        this.lossName = lossName;
        this.existingOwner = existingOwner;
        this.newOwner = newOwner;
    }
}
/** Options that do not satisfy a plugin's schema. */
export class InvalidOptionsError extends LossKitError {
    lossName;
    problems;
    constructor(lossName, problems) {
        const lines = problems.map((p) => `  - option '${p.option}': ${p.message} (got ${describeValue(p.received)})`);
        super(`Invalid options for loss '${lossName}':\n${lines.join('\n')}\n` +
            `Fix the options in the loss spec; \`registry.describe('${lossName}')\` lists every option with its default.`);
        this.lossName = lossName;
        this.problems = problems;
    }
}
/** Tensors whose shapes a loss cannot combine. */
export class ShapeMismatchError extends LossKitError {
}
/** A plugin built for another core API, or two incompatible copies of core in one process. */
export class VersionMismatchError extends LossKitError {
}
export function describeValue(value) {
    if (value === undefined)
        return 'undefined';
    if (typeof value === 'string')
        return JSON.stringify(value);
    try {
        const json = JSON.stringify(value);
        return json.length > 80 ? `${json.slice(0, 77)}...` : json;
    }
    catch {
        return String(value);
    }
}
/** A loss spec that is not a name, `{ name, options?, reduction?, weight? }` or `{ sum: [...] }`. */
export class LossSpecError extends LossKitError {
}
