/**
 * Can this model train on the wasm backend? The trainer asks before choosing wasm, and falls
 * back to cpu (with the message below as its log line) when the answer is no.
 */
import * as tf from '@tensorflow/tfjs';
import { isWasmTrainingKernel } from './register.js';

export interface WasmTrainingSupport {
  /** True when every layer can train on wasm (warnings do not count: they fail on every backend). */
  ok: boolean;
  /** One entry per layer that cannot train on wasm: "name (ClassName): why". */
  unsupported: string[];
  /** Layers that cannot train on any tfjs backend (so falling back to cpu would not help). */
  warnings: string[];
  /** A one-line summary for a log. */
  message: string;
}

const CONV2D = ['Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput'];
const DEPTHWISE = ['DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'];

/** Kernels the forward and backward pass of each layer class needs on wasm. */
const REQUIRED_KERNELS: Record<string, string[]> = {
  Dense: ['BatchMatMul', '_FusedMatMul'],
  Conv1D: CONV2D,
  Conv2D: CONV2D,
  Conv2DTranspose: CONV2D,
  Conv3D: ['Conv3D', 'Conv3DBackpropFilterV2', 'Conv3DBackpropInputV2'],
  DepthwiseConv2D: DEPTHWISE,
  SeparableConv2D: [...DEPTHWISE, ...CONV2D],
  MaxPooling1D: ['MaxPool', 'MaxPoolGrad'],
  MaxPooling2D: ['MaxPool', 'MaxPoolGrad'],
  MaxPooling3D: ['MaxPool3D', 'MaxPool3DGrad'],
  AveragePooling1D: ['AvgPool', 'AvgPoolGrad'],
  AveragePooling2D: ['AvgPool', 'AvgPoolGrad'],
  AveragePooling3D: ['AvgPool3D', 'AvgPool3DGrad'],
  UpSampling2D: ['ResizeNearestNeighbor', 'ResizeNearestNeighborGrad', 'ResizeBilinear', 'ResizeBilinearGrad'],
  Embedding: ['GatherV2', 'UnsortedSegmentSum'],
  LSTM: ['BatchMatMul', 'Sigmoid', 'Tanh'],
  GRU: ['BatchMatMul', 'Sigmoid', 'Tanh'],
  SimpleRNN: ['BatchMatMul', 'Tanh'],
  ConvLSTM2D: CONV2D,
  BatchNormalization: ['FusedBatchNorm', 'Mean', 'Sum'],
};

/** Stock wasm kernels that give wrong gradients: the layer needs this package's replacement. */
const MUST_BE_REPLACED: Record<string, string> = {
  MaxPoolGrad: 'the stock wasm MaxPoolGrad misroutes the gradient of all-negative windows',
  _FusedMatMul: 'the stock wasm _FusedMatMul adds the bias to the first matrix of a batch only',
};

interface LayerLike {
  name: string;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  layers?: LayerLike[];
  layer?: LayerLike;
  forwardLayer?: LayerLike;
  backwardLayer?: LayerLike;
}

function* allLayers(layers: readonly LayerLike[]): Generator<LayerLike> {
  for (const layer of layers) {
    yield layer;
    if (Array.isArray(layer.layers)) yield* allLayers(layer.layers);
    for (const inner of [layer.layer, layer.forwardLayer, layer.backwardLayer]) {
      if (inner !== undefined && inner !== null) yield* allLayers([inner]);
    }
  }
}

function dilated(config: Record<string, unknown>): boolean {
  const d = config['dilationRate'] ?? config['dilation_rate'];
  return Array.isArray(d) ? d.some((v) => v !== 1) : typeof d === 'number' && d !== 1;
}

/** Checks every layer of `model` (nested models and wrappers included) against the wasm kernels registered now. */
export function wasmTrainingSupport(model: tf.LayersModel): WasmTrainingSupport {
  const unsupported: string[] = [];
  const warnings: string[] = [];
  for (const layer of allLayers(model.layers as unknown as LayerLike[])) {
    const cls = layer.getClassName();
    const label = `${layer.name} (${cls})`;
    const config = layer.getConfig();
    if (dilated(config) && (config['trainable'] ?? true) !== false) {
      warnings.push(`${label}: dilation rate > 1 has no gradient in tfjs on any backend`);
    }
    const missing: string[] = [];
    const wrong: string[] = [];
    for (const kernel of REQUIRED_KERNELS[cls] ?? []) {
      if (tf.getKernel(kernel, 'wasm') === undefined) missing.push(kernel);
      else if (MUST_BE_REPLACED[kernel] !== undefined && !isWasmTrainingKernel(kernel)) wrong.push(MUST_BE_REPLACED[kernel]!);
    }
    if (missing.length > 0) unsupported.push(`${label}: wasm has no ${missing.join(', ')} kernel`);
    else if (wrong.length > 0) unsupported.push(`${label}: ${wrong.join('; ')}`);
  }
  const ok = unsupported.length === 0;
  const message = ok
    ? 'all layers can train on wasm'
    : `wasm cannot train ${unsupported.length} layer(s), use cpu: ${unsupported.join('; ')}` +
      (tf.getKernel('Conv2DBackpropFilter', 'wasm') === undefined ? " (did you import '@losskit/wasm-training'?)" : '');
  return { ok, unsupported, warnings, message };
}

/** Shorthand for `wasmTrainingSupport(model).ok`. */
export function canTrainOnWasm(model: tf.LayersModel): boolean {
  return wasmTrainingSupport(model).ok;
}
