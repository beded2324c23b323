export { checkLossPlugin, runCheck, selectChecks, LossPluginCheckError } from './check-plugin.js';
export type { CheckReport, CheckResult, CheckOptions } from './check-plugin.js';
export { describeLossPlugin } from './mocha.js';
export { CHECK_IDS, DEFAULT_EDGE_CASES } from './config.js';
export type { CheckId, EdgeCase, LossPluginTestConfig, Tolerance, GradientTolerance } from './config.js';
export { LOSS_CHECKS, type LossCheck } from './checks/index.js';
export { meanOverLastAxis } from './reference.js';
export { TestkitUsageError, LossPluginCheckFailedError } from './errors.js';
export { CheckFailure } from './failure.js';
