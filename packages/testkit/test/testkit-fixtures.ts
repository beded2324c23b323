// Set-up shared by testkit*.test.ts. The kit is only useful if it fails: each plugin there is
// broken in one way, registered under a unique name, and must fail exactly the checks that
// breakage concerns.
import * as tf from '@tensorflow/tfjs';
import { LOSS_OPTIONS, RegisterLoss, getLossRegistry, inject, type LossMetadata, type LossPlugin } from '@losskit/core';
import { checkLossPlugin, type CheckId, type LossPluginTestConfig } from '@losskit/testkit';

const registry = getLossRegistry();
export const suffix = `${process.pid}-${Date.now().toString(36)}`;
const registered: string[] = [];
/** Tensors a fixture kept on purpose; disposed after the suite. */
export const leaked: tf.Tensor[] = [];

type PluginClass = new (...args: never[]) => LossPlugin;

/** What `@RegisterLoss(meta)` on a class does; written as calls because tests are not compiled by tsc. */
export function register(base: string, cls: PluginClass, meta: Partial<LossMetadata> = {}, injectOptions = false): string {
  const name = `testkit-${base}-${suffix}`;
  if (injectOptions) inject(LOSS_OPTIONS)(cls, undefined, 0);
  RegisterLoss({
    name,
    description: `testkit fixture: ${base}`,
    coreApi: '^1.0.0',
    package: { name: `losskit-loss-testkit-${base}`, version: '0.0.0' },
    ...meta,
  })(cls);
  registered.push(name);
  return name;
}

export const squaredError = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.mean(tf.square(tf.sub(yPred, yTrue)), -1);

/** Runs every check and returns the ids that failed (and the report, to show in assertion messages). */
export async function failingChecks(config: LossPluginTestConfig): Promise<{ ids: CheckId[]; text: string }> {
  const report = await checkLossPlugin(config, { throwOnFailure: false });
  return {
    ids: report.failed.map((result) => result.id),
    text: report.failed.map((result) => `${result.id}: ${result.message}`).join('\n'),
  };
}

/**
 * Mocha hooks for the enclosing describe: the cpu backend before its tests; afterwards the
 * fixtures registered so far are unregistered and the tensors they kept disposed.
 */
export function useFixtureRegistry(): void {
  before(async () => {
    await tf.setBackend('cpu');
  });

  after(() => {
    for (const name of registered.splice(0)) registry.unregister(name);
    tf.dispose(leaked.splice(0));
  });
}
