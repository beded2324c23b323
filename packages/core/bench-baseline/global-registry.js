import { VersionMismatchError } from './errors.js';
import { LossRegistry } from './registry.js';
import { registerBuiltinLosses } from './builtins.js';
import { CORE_API_VERSION } from './version.js';
// tsyringe and ES modules keep state per copy; a plugin installed with its own nested copy
// of core would otherwise register into a registry nobody reads. One registry lives on
// globalThis; copies with the same major API share it, any other copy fails loudly.
const REGISTRY_KEY = Symbol.for('losskit.registry');
export function getLossRegistry() {
    const holder = globalThis;
    const existing = holder[REGISTRY_KEY];
    if (existing) {
        assertSameMajor(existing.apiVersion);
        return existing;
    }
    const registry = new LossRegistry();
    holder[REGISTRY_KEY] = registry;
    registerBuiltinLosses(registry);
    return registry;
}
function assertSameMajor(otherVersion) {
    const major = (version) => version.split('.')[0];
    if (major(otherVersion) !== major(CORE_API_VERSION)) {
        throw new VersionMismatchError(`Two incompatible copies of @losskit/core are loaded in this process: one implements API ` +
            `${otherVersion}, this one ${CORE_API_VERSION}. Plugins registered with one would be invisible ` +
            `to the other. Deduplicate @losskit/core (plugins must list it as a peerDependency) so that ` +
            `one version is installed.`);
    }
}
