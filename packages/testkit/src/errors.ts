import { LossKitError } from '@losskit/core';

/** A test-kit call that cannot run as written (no loss name, no mocha globals). */
export class TestkitUsageError extends LossKitError {}

/** One check of a plugin failed (thrown by describeLossPlugin's generated tests). */
export class LossPluginCheckFailedError extends LossKitError {}
