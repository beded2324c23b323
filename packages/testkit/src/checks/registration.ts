import { isValidLossName } from '@losskit/core';
import { fail } from '../failure.js';
import type { LossCheck } from './check.js';

export const registrationCheck: LossCheck = {
  id: 'registration',
  title: 'is registered under its name and aliases, with metadata',
  async run({ registry, config }) {
    const { name } = config;
    if (!registry.has(name)) {
      fail(`Loss '${name}' is not registered. Import the plugin package before running the checks.`);
    }
    const entry = registry.get(name);
    if (entry.name !== name) {
      fail(`'${name}' is an alias of '${entry.name}'; check the plugin under its canonical name.`);
    }
    if (!isValidLossName(name)) {
      fail(`Loss name '${name}' is not lowercase kebab-case (optionally @scope/name); discovery could never find it.`);
    }
    const description = registry.describe(name);
    if (description.builtin) fail(`'${name}' is one of TF.js's built-in losses, not a plugin.`);
    if (!description.description?.trim()) fail(`Loss '${name}' has no description.`);
    if (!description.coreApi?.trim()) fail(`Loss '${name}' states no coreApi range.`);
    if (!description.package?.name || !description.package.version) {
      fail(
        `Loss '${name}' declares no package { name, version }: saved specs could not say which package to install.`,
      );
    }
    for (const alias of description.aliases) {
      if (!registry.has(alias) || registry.get(alias).name !== name) {
        fail(`Alias '${alias}' of '${name}' does not resolve to it (another plugin may have taken it).`);
      }
    }
    if (config.aliases) {
      const expected = [...config.aliases].sort();
      const actual = [...description.aliases].sort();
      if (JSON.stringify(expected) !== JSON.stringify(actual)) {
        fail(`Loss '${name}' has aliases [${actual.join(', ')}], expected [${expected.join(', ')}].`);
      }
    }
  },
};
