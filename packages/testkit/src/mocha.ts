import { LossPluginCheckFailedError, TestkitUsageError } from './errors.js';
import { validateConfig, type CheckId, type LossPluginTestConfig } from './config.js';
import { checkKnownKeys } from './config-check.js';
import { runCheck, selectChecks } from './check-plugin.js';

interface MochaGlobals {
  describe(title: string, body: () => void): unknown;
  it(title: string, body: () => Promise<void>): unknown;
}

/**
 * Registers one mocha `describe` block for the plugin with one `it` per check, so a failure
 * shows which check broke and why. Call it at the top level of a mocha test file.
 */
export function describeLossPlugin(config: LossPluginTestConfig, options: { only?: readonly CheckId[] } = {}): void {
  const { describe, it } = mochaGlobals();
  // A config that cannot run as written fails here, when mocha loads the file, rather than
  // producing fewer (or no) tests that pass.
  validateConfig(config);
  checkKnownKeys(options, ['only'], 'the options of describeLossPlugin');
  const checks = selectChecks(config, options.only);
  describe(`loss plugin '${config.name}' (@losskit/testkit)`, () => {
    for (const check of checks) {
      it(check.title, async () => {
        const result = await runCheck(check, config);
        if (!result.passed) {
          throw new LossPluginCheckFailedError(`[${check.id}] ${result.message}`);
        }
      });
    }
  });
}

function mochaGlobals(): MochaGlobals {
  const globals = globalThis as Partial<MochaGlobals>;
  if (typeof globals.describe !== 'function' || typeof globals.it !== 'function') {
    throw new TestkitUsageError(
      'describeLossPlugin() needs mocha\'s describe/it globals: call it from a test file run by mocha, ' +
        'or use checkLossPlugin(), which returns a report and throws on failure, with any other runner.',
    );
  }
  return globals as MochaGlobals;
}
