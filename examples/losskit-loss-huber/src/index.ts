// Importing the package registers 'huber' (alias 'smooth-l1') with @losskit/core's registry.
export { HuberLoss, huberOptions, type HuberOptions } from './huber.js';
export { PACKAGE } from './package-info.js';
