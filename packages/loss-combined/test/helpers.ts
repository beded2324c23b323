import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { container as rootContainer } from 'tsyringe';
import { FEATURE_EXTRACTOR, layersModelExtractor, type FeatureExtractor } from '@losskit/loss-combined';

/** A two-conv network with smooth activations (so finite differences are meaningful). */
export function tinyExtractorModel(channels = 3, seed = 7): tf.LayersModel {
  const input = tf.input({ shape: [null, null, channels] });
  const a = tf.layers
    .conv2d({ name: 'conv_a', filters: 4, kernelSize: 3, padding: 'same', activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed }), biasInitializer: tf.initializers.randomUniform({ minval: -0.2, maxval: 0.2, seed }) })
    .apply(input) as tf.SymbolicTensor;
  const b = tf.layers
    .conv2d({ name: 'conv_b', filters: 5, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) })
    .apply(a) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: b, name: 'tiny_extractor' });
}

/** A child container with `extractor` registered under the plugin's token. */
export function containerWith(extractor: FeatureExtractor) {
  const container = rootContainer.createChildContainer();
  container.register(FEATURE_EXTRACTOR, { useValue: extractor });
  return container;
}

export function tinyExtractor(model = tinyExtractorModel()) {
  return layersModelExtractor(model, { inputRange: [0, 1], minSize: 1 });
}

/** Writes `model` as model.json + weights.bin into a new temp dir; returns the model.json path. */
export async function saveToTempDir(model: tf.LayersModel): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'losskit-combined-'));
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightsManifest = [{ paths: ['weights.bin'], weights: artifacts.weightSpecs! }];
      await writeFile(join(dir, 'model.json'), JSON.stringify({ modelTopology: artifacts.modelTopology, weightsManifest, format: artifacts.format }));
      await writeFile(join(dir, 'weights.bin'), Buffer.from(artifacts.weightData as ArrayBuffer));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return join(dir, 'model.json');
}

/** Per-sample mean |a - b| computed in plain JS, independent of the plugin. */
export function l1PerSample(a: tf.Tensor, b: tf.Tensor): number[] {
  const x = a.dataSync(), y = b.dataSync();
  const batch = a.shape[0]!, size = x.length / batch;
  return Array.from({ length: batch }, (_, n) => {
    let sum = 0;
    for (let i = 0; i < size; i++) sum += Math.abs(x[n * size + i]! - y[n * size + i]!);
    return sum / size;
  });
}

/** Feature maps of a layer by a separately built truncated model (predict, inference mode). */
export function featuresOf(model: tf.LayersModel, layer: string, images: tf.Tensor): tf.Tensor4D {
  const truncated = tf.model({ inputs: model.inputs, outputs: model.getLayer(layer).output as tf.SymbolicTensor });
  return truncated.predict(images) as tf.Tensor4D;
}

/** Per-sample feature distance in plain JS: 'none' = mean squared difference; 'lpips' per the LPIPS paper. */
export function featureDistanceJs(ft: tf.Tensor4D, fp: tf.Tensor4D, normalization: 'none' | 'lpips'): number[] {
  const [batch, h, w, c] = ft.shape;
  const a = ft.dataSync(), b = fp.dataSync();
  const out: number[] = [];
  for (let n = 0; n < batch; n++) {
    let total = 0;
    for (let p = 0; p < h * w; p++) {
      const base = (n * h * w + p) * c;
      let na = 0, nb = 0;
      for (let k = 0; k < c; k++) { na += a[base + k]! ** 2; nb += b[base + k]! ** 2; }
      const sa = normalization === 'lpips' ? 1 / Math.sqrt(na + 1e-10) : 1;
      const sb = normalization === 'lpips' ? 1 / Math.sqrt(nb + 1e-10) : 1;
      for (let k = 0; k < c; k++) total += (a[base + k]! * sa - b[base + k]! * sb) ** 2;
    }
    out.push(normalization === 'lpips' ? total / (h * w) : total / (h * w * c));
  }
  return out;
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what = 'value'): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!);
    if (!(diff <= tolerance * Math.max(1, Math.abs(expected[i]!)))) {
      throw new Error(`${what}[${i}]: ${actual[i]} differs from ${expected[i]} by ${diff} (tolerance ${tolerance})`);
    }
  }
}
