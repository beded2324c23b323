import { z } from '@losskit/core';

/**
 * Options of the `combined` loss. Plain JSON only: they are saved with the model's loss spec.
 * The defaults suit the default extractor (MobileNetV2 from nsfwjs); a user-supplied extractor
 * names its own layers.
 */
const range = z
  .tuple([z.number(), z.number()])
  .refine(([low, high]) => low < high, { message: 'a value range is [low, high] with low < high' });

export const featureLayerSchema = z.object({
  /** Name of a layer of the extractor model whose output is compared. */
  name: z.string().min(1),
  /** Weight of this layer's distance in the sum over layers. */
  weight: z.number().nonnegative().default(1),
}).strict();

export const DEFAULT_LAYERS: readonly { name: string; weight: number }[] = [
  { name: 'block_1_expand_relu', weight: 1 },
  { name: 'block_3_expand_relu', weight: 1 },
];

/** How y_true / y_pred are brought to the network's input (shared with other feature losses). */
export const imageInputSchema = z
  .object({
    /** Value range of y_true / y_pred; mapped linearly onto the extractor's input range. */
    range: range.default([0, 1]),
    /** Upsample images smaller than the extractor's minimum size (bilinear) before extraction. */
    resize: z.boolean().default(true),
  })
  .strict()
  .default({ range: [0, 1], resize: true });

/**
 * Where the default provider gets the network from: 'mobilenet-v2' (shipped in nsfwjs, works
 * offline) or the path / URL of a tfjs layers model.json. Ignored when the application
 * registers its own FEATURE_EXTRACTOR.
 */
export const extractorOptionSchema = z
  .object({
    model: z.string().min(1).default('mobilenet-v2'),
    /** Input value range the network was trained on. */
    inputRange: range.optional(),
    /** Smallest height/width the network takes. */
    minSize: z.number().int().positive().optional(),
  })
  .strict()
  .default({ model: 'mobilenet-v2' });

export const combinedOptionsSchema = z.object({
  /** Share of the pixel L1 term; the perceptual term gets 1 - alpha. */
  alpha: z.number().min(0).max(1).default(0.5),
  layers: z.array(featureLayerSchema).min(1).default(() => DEFAULT_LAYERS.map((layer) => ({ ...layer }))),
  /**
   * 'none': mean squared feature difference per layer (the seed article's form).
   * 'lpips': features unit-normalised over channels, squared differences summed over channels
   * and averaged over space (Zhang et al. 2018, without the learned linear weights).
   */
  normalization: z.enum(['none', 'lpips']).default('none'),
  input: imageInputSchema,
  extractor: extractorOptionSchema,
});

export type CombinedOptions = z.output<typeof combinedOptionsSchema>;
export type FeatureLayer = z.output<typeof featureLayerSchema>;

