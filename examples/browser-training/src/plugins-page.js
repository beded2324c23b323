// More loss plugins in a page: @losskit/loss-ssim, @losskit/loss-image and the example
// third-party plugin losskit-loss-huber, each registered by importing it, resolved by name and
// computed on the given backend. Bundle it as another entry:
//   esbuild src/plugins-page.js --bundle --platform=browser --format=esm --splitting --outdir=out
import * as tf from '@tensorflow/tfjs';
import '@losskit/loss-ssim';
import '@losskit/loss-image';
import 'losskit-loss-huber';
import { getLossRegistry } from '@losskit/core';
import { useBackend } from './seed.js';

/** The specs the page computes; `inputs.js` makes their data the same here and in Node. */
export const SPECS = ['ssim', { name: 'ms-ssim-l1', options: { weights: [0.5, 0.5] } }, 'total-variation', 'charbonnier', { name: 'huber', options: { delta: 0.5 } }];

/** Deterministic images [2, 24, 24, 1] in [0, 1] (no random generator: the same in every runtime). */
export function pluginInputs() {
  const size = 2 * 24 * 24;
  const a = Float32Array.from({ length: size }, (_, i) => 0.5 + 0.4 * Math.sin(i * 0.37));
  const b = Float32Array.from({ length: size }, (_, i) => 0.5 + 0.4 * Math.sin(i * 0.37 + 0.3 * Math.cos(i * 0.11)));
  return { yTrue: tf.tensor4d(a, [2, 24, 24, 1]), yPred: tf.tensor4d(b, [2, 24, 24, 1]) };
}

/** Per-sample values of every spec on `backend`, and the value of one gradient for each (finite or not). */
export async function computeLosses({ backend, wasmPath }) {
  await useBackend(backend, wasmPath);
  const { yTrue, yPred } = pluginInputs();
  const results = {};
  for (const spec of SPECS) {
    const loss = await getLossRegistry().resolve(spec);
    const perSample = tf.tidy(() => loss.perSample(yTrue, yPred));
    const gradient = tf.tidy(() => tf.grad((p) => loss.compute(yTrue, p))(yPred).abs().sum());
    results[typeof spec === 'string' ? spec : spec.name] = { perSample: Array.from(await perSample.data()), gradientAbsSum: (await gradient.data())[0] };
    tf.dispose([perSample, gradient]);
  }
  tf.dispose([yTrue, yPred]);
  // Importing losskit-loss-huber replaced the Keras 'huber' of core's catalog: the plugin computed it.
  return { backend: tf.getBackend(), results, huberPackage: getLossRegistry().describe('huber').package?.name };
}
