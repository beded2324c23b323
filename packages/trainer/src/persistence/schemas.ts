import { isValidPackageName, REDUCTIONS } from '@losskit/core';
// zod's functional build: these schemas are only needed when a save is read or written, and in a
// browser bundle zod/mini's schema classes stay in the lazily loaded persistence chunk instead of
// growing the zod code every page loads (core's option schemas use zod's classic API).
import * as z from 'zod/mini';

/**
 * Schemas of the files a save holds. Everything read back is checked against them before any
 * value is used: wrong types, negative epochs, unknown keys and out-of-range sizes are refused
 * with the path of the bad value, never its contents.
 */

export const FORMAT = 'losskit-trainer';
/**
 * Bumped when a change makes older readers misread new files (2: one copy of losses, weights,
 * metrics; run ids. 3: the optimizer state travels in the model's weights, group 'optimizer',
 * and the manifest in model.json's userDefinedMetadata, so any tf.io handler carries a save).
 */
export const FORMAT_VERSION = 3;
/** Versions this reader loads: 2 kept the optimizer state in optimizer.bin. */
export const READABLE_FORMAT_VERSIONS: readonly number[] = [2, 3];

const text = (max: number) => z.string().check(z.maxLength(max));
const name = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));
const finite = z.number().check(z.refine(Number.isFinite, 'must be a finite number'));
const count = z.int().check(z.nonnegative());
const packageName = name(214).check(z.refine(isValidPackageName, 'must be a bare npm package name'));
/** A run id is a directory name: letters, digits, '.', '_' and '-' only, never '.' or '..'. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const runIdSchema = z.string().check(z.regex(RUN_ID_PATTERN, 'must be letters, digits, ".", "_" or "-" (at most 64), starting with a letter or digit'));

/**
 * Any JSON value (configs and plugin options are plain JSON). The schema recurses per level:
 * its input is bounded to READ_LIMITS.jsonDepth levels by parseUntrustedJson, which every file
 * and handler artifact passes through first.
 */
type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
const json: z.ZodMiniType<Json> = z.lazy(() =>
  z.union([text(1 << 20), finite, z.boolean(), z.null(), z.array(json).check(z.maxLength(1 << 16)), z.record(text(1024), json)]),
);
const jsonRecord = (keyMax: number) => z.record(text(keyMax), json);

const savedSingleSpec = z.strictObject({
  name: name(214).check(z.regex(/^[@A-Za-z0-9][@A-Za-z0-9/_.-]*$/, 'must be a loss name')),
  options: jsonRecord(1024),
  reduction: z.optional(z.enum(REDUCTIONS)),
  weight: z.optional(finite),
  package: z.optional(z.strictObject({ name: packageName, version: name(64) })),
});
const savedSumSpec = z.strictObject({ sum: z.array(savedSingleSpec).check(z.minLength(1), z.maxLength(256)), reduction: z.enum(REDUCTIONS) });
export const savedSpec = z.union([savedSingleSpec, savedSumSpec]);
const outputName = name(1024);

export const savedLossesSchema = z.union([savedSpec, z.array(savedSpec).check(z.minLength(1), z.maxLength(4096)), z.record(outputName, savedSpec)]);

// A metric is a name or a { name, options } spec of a registered metric.
const metricSpec = z.union([name(256), z.strictObject({ name: name(256), options: z.optional(jsonRecord(1024)) })]);
const metricList = z.array(metricSpec).check(z.maxLength(256));
const metricsSchema = z.union([metricList, z.array(metricList).check(z.maxLength(4096)), z.record(outputName, metricList)]);

/** A tfjs weight spec; 'string' weights have no fixed byte size and are not supported. */
export const weightSpecSchema = z.object({
  name: name(1024),
  shape: z.array(count).check(z.maxLength(16)),
  dtype: z.enum(['float32', 'int32', 'bool']),
  quantization: z.optional(z.object({ dtype: z.enum(['uint8', 'uint16', 'float16']), scale: z.optional(finite), min: z.optional(finite) })),
  group: z.optional(z.enum(['model', 'optimizer'])),
});

const relativeFile = name(1024);

export const savedOptimizerSchema = z.strictObject({
  className: z.string().check(z.regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must be a class name')),
  config: jsonRecord(256),
  weights: z.array(z.strictObject({ name: name(1024), spec: weightSpecSchema })).check(z.maxLength(1 << 20)),
  extras: z.record(text(64), finite),
  /** Format 2 only: the file holding the optimizer state (format 3 keeps it in the model's weights). */
  file: z.optional(relativeFile),
});

const historySchema = z.record(name(512), z.array(z.nullable(finite)).check(z.maxLength(1 << 24)));

export const trainerManifestSchema = z.strictObject({
  format: z.literal(FORMAT),
  formatVersion: z.union([z.literal(2), z.literal(FORMAT_VERSION)]),
  savedBy: z.strictObject({ package: packageName, version: name(64) }),
  losses: savedLossesSchema,
  /** Per output, in output order. */
  lossWeights: z.optional(z.array(finite.check(z.refine((w) => w >= 0, 'must be >= 0'))).check(z.maxLength(4096))),
  /** The `metrics` option the trainer was built with. */
  metrics: z.optional(metricsSchema),
  optimizer: savedOptimizerSchema,
  /** Epochs this model has been trained for in total (never decreases). */
  epochsCompleted: count,
  seed: z.optional(z.union([finite, text(256)])),
  history: z.optional(historySchema),
  /** Present in checkpoints: the run they belong to and the epoch index a resumed fit continues at. */
  run: z.optional(z.strictObject({ id: runIdSchema, nextEpoch: count })),
  /** Trainer settings recorded for information: `plugins` is shown in messages, never imported. */
  trainer: z.optional(
    z.strictObject({
      backend: z.optional(z.enum(['auto', 'tensorflow', 'wasm', 'cpu', 'webgl', 'webgpu'])),
      plugins: z.optional(z.array(name(214)).check(z.maxLength(256))),
    }),
  ),
  model: z.strictObject({ file: relativeFile }),
});

export type TrainerManifest = z.output<typeof trainerManifestSchema>;

/**
 * The manifest as model artifacts carry it (`userDefinedMetadata.losskit`, through any tf.io
 * handler): the same fields without the file names a directory save adds.
 */
export const artifactsManifestSchema = z.omit(trainerManifestSchema, { model: true });
export type ArtifactsManifest = z.output<typeof artifactsManifestSchema>;
export type SavedWeightSpec = z.output<typeof weightSpecSchema>;

/** What saveModelWithLoss puts in a plain model's `userDefinedMetadata.losskitModel`. */
export const MODEL_FORMAT = 'losskit-model';
export const modelWithLossSchema = z.strictObject({
  format: z.literal(MODEL_FORMAT),
  formatVersion: z.literal(1),
  savedBy: z.strictObject({ package: packageName, version: name(64) }),
  loss: savedSpec,
  /** The optimizer the model was compiled with (its class and settings; not its state). */
  optimizer: z.optional(z.pick(savedOptimizerSchema, { className: true, config: true })),
});
export type ModelWithLossManifest = z.output<typeof modelWithLossSchema>;

/** The parts of a tfjs model.json losskit uses; other tfjs fields are allowed and ignored. */
export const modelJsonSchema = z.object({
  modelTopology: jsonRecord(1024),
  weightsManifest: z
    .array(z.object({ paths: z.array(relativeFile).check(z.minLength(1), z.maxLength(65536)), weights: z.array(weightSpecSchema).check(z.maxLength(1 << 20)) }))
    .check(z.maxLength(65536)),
  format: z.optional(text(256)),
  generatedBy: z.optional(text(256)),
  convertedBy: z.optional(z.nullable(text(256))),
  userDefinedMetadata: z.optional(jsonRecord(1024)),
});

export type ModelJson = z.output<typeof modelJsonSchema>;

/** The lock file in a checkpoint directory. */
export const lockFileSchema = z.strictObject({
  pid: z.int().check(z.positive()),
  host: name(256),
  runId: runIdSchema,
  purpose: name(64),
  since: name(64),
  nonce: z.string().check(z.regex(/^[0-9a-f]{16}$/)),
});

/**
 * The first problem zod found, as "at <path>: <message>" (the path of the bad value, never the
 * value itself, which may be another file's bytes).
 */
export function firstIssue(error: z.core.$ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'it does not match the expected format';
  const where = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
  return `at ${where}: ${issue.code === 'unrecognized_keys' ? 'an unknown key' : issue.message}`;
}
