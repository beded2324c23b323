import { LossKitError, describeValue } from '../errors.js';

/** A metric name (or alias) that no registered metric or loss answers to. */
export class UnknownMetricError extends LossKitError {
  constructor(
    readonly metricName: string,
    readonly registered: readonly string[],
    readonly suggestion: string | undefined,
  ) {
    const didYouMean = suggestion ? ` Did you mean '${suggestion}'?` : '';
    super(
      `Unknown metric '${metricName}'.${didYouMean} Registered metrics: ${registered.join(', ') || '(none)'}; ` +
        `every registered loss name works as a metric too. A third-party metric must be imported ` +
        `(it registers itself with @RegisterMetric) before it is resolved.`,
    );
  }
}

/** Two metrics claimed the same name or alias without `override: true`. */
export class DuplicateMetricError extends LossKitError {
  constructor(readonly metricName: string, existingOwner: string, newOwner: string) {
    super(
      `Metric name '${metricName}' is already registered by ${existingOwner}; ${newOwner} tried to register it too. ` +
        `Rename one of them (third-party metrics should use their own prefix), or pass \`override: true\`.`,
    );
  }
}

/** Metric options that do not satisfy the metric's schema. */
export class InvalidMetricOptionsError extends LossKitError {
  constructor(
    readonly metricName: string,
    readonly problems: readonly { option: string; message: string; received: unknown }[],
  ) {
    const lines = problems.map((p) => `  - option '${p.option}': ${p.message} (got ${describeValue(p.received)})`);
    super(
      `Invalid options for metric '${metricName}':\n${lines.join('\n')}\n` +
        `Fix the options in the metric spec; \`getMetricRegistry().describe('${metricName}')\` lists every option with its default.`,
    );
  }
}

/** A metric given inputs it cannot use (shapes, a state from another metric). */
export class MetricInputError extends LossKitError {}
