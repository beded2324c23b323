import * as tf from '@tensorflow/tfjs';
import { LayersModelExtractor } from './layers-model-extractor.js';

/** Identifies the default extractor in options. */
export const MOBILENET_V2 = 'mobilenet-v2';

/** The deepest layer worth keeping: the default layers end at block_3; block_5 leaves room. */
const LAST_KEPT_LAYER = 'block_5_add';

/**
 * The ImageNet MobileNetV2 that nsfwjs ships inside its npm package (uint8-quantised weights,
 * RGB input in [0, 1]). nsfwjs fine-tuned only from block_11 on, so the early blocks kept here
 * hold ImageNet features. The input size is freed so that any image size of at least 32 works,
 * and the network is cut after block 5 so that nothing deeper is ever built or computed.
 */
export async function loadMobileNetV2(): Promise<LayersModelExtractor> {
  const { MobileNetV2Model } = await import('nsfwjs/models/mobilenet_v2');
  const modelJson = (await MobileNetV2Model.modelJson()).default as tf.io.ModelJSON;
  const weightsBase64 = (await MobileNetV2Model.weightBundles[0]!()).default;
  const weights = base64Bytes(weightsBase64);
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: earlyBlocksWithFreeInputSize(modelJson.modelTopology as Topology),
      weightSpecs: modelJson.weightsManifest.flatMap((group) => group.weights),
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
    // The weights of the layers cut off are in the bundle too; they are skipped, not loaded.
    { strict: false },
  );
  return new LayersModelExtractor(model, {
    inputRange: [0, 1],
    minSize: 32,
    description: `MobileNetV2 (ImageNet, from nsfwjs@4.3.0) up to ${LAST_KEPT_LAYER}`,
  });
}

/** Decodes base64 with the web platform's atob (Node has it too), so no Buffer is needed. */
function base64Bytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

interface Topology {
  model_config: {
    config: {
      name?: string;
      layers: { name: string; class_name: string; config: { batch_input_shape?: (number | null)[] } }[];
      output_layers: unknown[];
    };
  };
}

/**
 * Cuts the saved topology after LAST_KEPT_LAYER (Keras lists layers in topological order) and
 * replaces its fixed 224x224 input by [any, any]; the classifier head, which needs the fixed
 * size, is gone with the cut.
 */
function earlyBlocksWithFreeInputSize(topology: Topology): Topology {
  const copy = structuredClone(topology);
  const config = copy.model_config.config;
  const last = config.layers.findIndex((layer) => layer.name === LAST_KEPT_LAYER);
  config.layers = config.layers.slice(0, last + 1);
  config.output_layers = [[LAST_KEPT_LAYER, 0, 0]];
  config.name = 'mobilenet_v2_early';
  for (const layer of config.layers) {
    const shape = layer.config.batch_input_shape;
    if (layer.class_name === 'InputLayer' && shape) layer.config.batch_input_shape = [shape[0] ?? null, null, null, shape[3] ?? 3];
  }
  return copy;
}
