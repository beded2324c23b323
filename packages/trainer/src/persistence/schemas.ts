import { isValidPackageName, REDUCTIONS } from '@losskit/core';
import * as z from 'zod';

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

const name = (max: number) => z.string().min(1).max(max);
const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const packageName = name(214).refine(isValidPackageName, 'must be a bare npm package name');
/** A run id is a directory name: letters, digits, '.', '_' and '-' only, never '.' or '..'. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const runIdSchema = z.string().regex(RUN_ID_PATTERN, 'must be letters, digits, ".", "_" or "-" (at most 64), starting with a letter or digit');

/** Any JSON value, with bounded nesting (configs and plugin options are plain JSON). */
type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
const json: z.ZodType<Json> = z.lazy(() => z.union([z.string().max(1 << 20), finite, z.boolean(), z.null(), z.array(json).max(1 << 16), z.record(z.string().max(1024), json)]));

const savedSingleSpec = z.strictObject({
  name: name(214).regex(/^[@A-Za-z0-9][@A-Za-z0-9/_.-]*$/, 'must be a loss name'),
  options: z.record(z.string().max(1024), json),
  reduction: z.enum(REDUCTIONS).optional(),
  weight: finite.optional(),
  package: z.strictObject({ name: packageName, version: name(64) }).optional(),
});
const savedSumSpec = z.strictObject({ sum: z.array(savedSingleSpec).min(1).max(256), reduction: z.enum(REDUCTIONS) });
export const savedSpec = z.union([savedSingleSpec, savedSumSpec]);
const outputName = name(1024);

export const savedLossesSchema = z.union([savedSpec, z.array(savedSpec).min(1).max(4096), z.record(outputName, savedSpec)]);

// A metric is a name or a { name, options } spec of a registered metric.
const metricSpec = z.union([name(256), z.strictObject({ name: name(256), options: z.record(z.string().max(1024), json).optional() })]);
const metricList = z.array(metricSpec).max(256);
const metricsSchema = z.union([metricList, z.array(metricList).max(4096), z.record(outputName, metricList)]);

/** A tfjs weight spec; 'string' weights have no fixed byte size and are not supported. */
export const weightSpecSchema = z.object({
  name: name(1024),
  shape: z.array(z.number().int().nonnegative()).max(16),
  dtype: z.enum(['float32', 'int32', 'bool']),
  quantization: z
    .object({ dtype: z.enum(['uint8', 'uint16', 'float16']), scale: finite.optional(), min: finite.optional() })
    .optional(),
  group: z.enum(['model', 'optimizer']).optional(),
});

const relativeFile = name(1024);

export const savedOptimizerSchema = z.strictObject({
  className: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must be a class name'),
  config: z.record(z.string().max(256), json),
  weights: z.array(z.strictObject({ name: name(1024), spec: weightSpecSchema })).max(1 << 20),
  extras: z.record(z.string().max(64), finite),
  /** Format 2 only: the file holding the optimizer state (format 3 keeps it in the model's weights). */
  file: relativeFile.optional(),
});

const historySchema = z.record(name(512), z.array(finite.nullable()).max(1 << 24));

export const trainerManifestSchema = z.strictObject({
  format: z.literal(FORMAT),
  formatVersion: z.union([z.literal(2), z.literal(FORMAT_VERSION)]),
  savedBy: z.strictObject({ package: packageName, version: name(64) }),
  losses: savedLossesSchema,
  /** Per output, in output order. */
  lossWeights: z.array(finite.refine((w) => w >= 0, 'must be >= 0')).max(4096).optional(),
  /** The `metrics` option the trainer was built with. */
  metrics: metricsSchema.optional(),
  optimizer: savedOptimizerSchema,
  /** Epochs this model has been trained for in total (never decreases). */
  epochsCompleted: z.number().int().nonnegative(),
  seed: z.union([finite, z.string().max(256)]).optional(),
  history: historySchema.optional(),
  /** Present in checkpoints: the run they belong to and the epoch index a resumed fit continues at. */
  run: z.strictObject({ id: runIdSchema, nextEpoch: z.number().int().nonnegative() }).optional(),
  /** Trainer settings recorded for information: `plugins` is shown in messages, never imported. */
  trainer: z
    .strictObject({
      backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu', 'webgl', 'webgpu']).optional(),
      plugins: z.array(name(214)).max(256).optional(),
    })
    .optional(),
  model: z.strictObject({ file: relativeFile }),
});

export type TrainerManifest = z.output<typeof trainerManifestSchema>;

/**
 * The manifest as model artifacts carry it (`userDefinedMetadata.losskit`, through any tf.io
 * handler): the same fields without the file names a directory save adds.
 */
export const artifactsManifestSchema = trainerManifestSchema.omit({ model: true });
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
  optimizer: savedOptimizerSchema.pick({ className: true, config: true }).optional(),
});
export type ModelWithLossManifest = z.output<typeof modelWithLossSchema>;

/** The parts of a tfjs model.json losskit uses; other tfjs fields are allowed and ignored. */
export const modelJsonSchema = z.object({
  modelTopology: z.record(z.string().max(1024), json),
  weightsManifest: z
    .array(z.object({ paths: z.array(relativeFile).min(1).max(65536), weights: z.array(weightSpecSchema).max(1 << 20) }))
    .max(65536),
  format: z.string().max(256).optional(),
  generatedBy: z.string().max(256).optional(),
  convertedBy: z.string().max(256).nullable().optional(),
  userDefinedMetadata: z.record(z.string().max(1024), json).optional(),
});

export type ModelJson = z.output<typeof modelJsonSchema>;

/** The lock file in a checkpoint directory. */
export const lockFileSchema = z.strictObject({
  pid: z.number().int().positive(),
  host: name(256),
  runId: runIdSchema,
  purpose: name(64),
  since: name(64),
  nonce: z.string().regex(/^[0-9a-f]{16}$/),
});

/**
 * The first problem zod found, as "at <path>: <message>" (the path of the bad value, never the
 * value itself, which may be another file's bytes).
 */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'it does not match the expected format';
  const where = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
  return `at ${where}: ${issue.code === 'unrecognized_keys' ? 'an unknown key' : issue.message}`;
}
