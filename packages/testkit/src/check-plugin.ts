import { LossKitError } from '@losskit/core';
import * as tf from '@tensorflow/tfjs';
import { CHECK_IDS, normalizeConfig, type CheckId, type LossPluginTestConfig } from './config.js';
import { checkIds, checkKnownKeys } from './config-check.js';
import { TestkitUsageError } from './errors.js';
import { CheckContext } from './context.js';
import { errorMessage, errorName } from './failure.js';
import { LOSS_CHECKS, type LossCheck } from './checks/index.js';

export interface CheckResult {
  id: CheckId;
  title: string;
  passed: boolean;
  /** Why it failed: the kit's finding, or the error the plugin threw. */
  message?: string;
  error?: unknown;
}

export interface CheckReport {
  name: string;
  results: CheckResult[];
  passed: boolean;
  failed: CheckResult[];
}

/** Thrown by checkLossPlugin when a check fails; `report` holds every result. */
export class LossPluginCheckError extends LossKitError {
  constructor(readonly report: CheckReport) {
    super(
      `Loss plugin '${report.name}' failed ${report.failed.length} of ${report.results.length} checks:\n` +
        report.failed.map((result) => `  - ${result.id}: ${result.message}`).join('\n'),
    );
  }
}

const CHECK_OPTION_KEYS = ['only', 'throwOnFailure'] as const satisfies readonly (keyof CheckOptions)[];

export interface CheckOptions {
  /** Run only these checks. */
  only?: readonly CheckId[];
  /** Return the report instead of throwing when a check fails. Default: throw. */
  throwOnFailure?: boolean;
}

/**
 * The checks a config selects, for runners that report each one separately. Unknown ids in
 * `skip` or `only`, and a selection of no check at all, are errors: a run that checks nothing
 * would report a plugin as passing.
 */
export function selectChecks(config: LossPluginTestConfig, only?: readonly CheckId[]): LossCheck[] {
  checkIds(config.skip, CHECK_IDS, 'config.skip');
  checkIds(only, CHECK_IDS, 'only');
  const skip = new Set(config.skip ?? []);
  const selected = LOSS_CHECKS.filter((check) => !skip.has(check.id) && (!only || only.includes(check.id)));
  if (selected.length === 0) {
    throw new TestkitUsageError(
      `@losskit/testkit: no check left to run for '${config.name}' (only: ${JSON.stringify(only ?? null)}, ` +
        `skip: ${JSON.stringify(config.skip ?? [])}); name at least one of ${CHECK_IDS.join(', ')} in only and not in skip.`,
    );
  }
  return selected;
}

/** Runs one check and returns its result; never throws for a failing plugin. */
export async function runCheck(check: LossCheck, config: LossPluginTestConfig): Promise<CheckResult> {
  await tf.ready();
  const context = new CheckContext(normalizeConfig(config));
  try {
    await check.run(context);
    return { id: check.id, title: check.title, passed: true };
  } catch (error) {
    const prefix = errorName(error) === 'CheckFailure' ? '' : `${errorName(error)}: `;
    return { id: check.id, title: check.title, passed: false, message: prefix + errorMessage(error), error };
  }
}

/**
 * Checks a registered loss plugin, the way ESLint's RuleTester checks a rule:
 *
 * ```ts
 * import 'losskit-loss-huber';
 * await checkLossPlugin({ name: 'huber', validOptions: [{ delta: 0.5 }], invalidOptions: [{ delta: 0 }] });
 * ```
 *
 * Throws LossPluginCheckError listing every failed check (or returns the report with
 * `throwOnFailure: false`).
 */
export async function checkLossPlugin(config: LossPluginTestConfig, options: CheckOptions = {}): Promise<CheckReport> {
  normalizeConfig(config);
  checkKnownKeys(options, CHECK_OPTION_KEYS, 'the options of checkLossPlugin');
  const results: CheckResult[] = [];
  for (const check of selectChecks(config, options.only)) results.push(await runCheck(check, config));
  const failed = results.filter((result) => !result.passed);
  const report: CheckReport = { name: config.name, results, passed: failed.length === 0, failed };
  if (!report.passed && options.throwOnFailure !== false) throw new LossPluginCheckError(report);
  return report;
}
