import * as tf from '@tensorflow/tfjs';
import { seededRandom as mulberry32 } from '@losskit/testkit';

/**
 * The deterministic test images of scripts/fixtures/fixture_images.py, generated the same way
 * (mulberry32, multiples of 1/65536), so the committed fixtures need only their recipes.
 */
export interface ImageSpec {
  kind: 'uniform' | 'noisy' | 'ramp' | 'checker' | 'disc' | 'constant';
  seed?: number;
  of?: ImageSpec;
  amount?: number;
  value?: number;
  scale?: number;
}

function pixelValues(spec: ImageSpec, h: number, w: number, c: number, seed: number): number[] {
  const n = h * w * c;
  if (spec.kind === 'uniform') {
    const r = mulberry32(seed);
    return Array.from({ length: n }, () => r());
  }
  if (spec.kind === 'noisy') {
    const base = pixelValues(spec.of!, h, w, c, seed);
    const r = mulberry32(seed + 7);
    const amount = spec.amount ?? 0.5;
    return base.map((b) => Math.min(1, Math.max(0, b + (r() - 0.5) * amount)));
  }
  const out: number[] = [];
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      for (let k = 0; k < c; k++) {
        if (spec.kind === 'ramp') out.push(((i + j) / (h + w - 2)) * 0.8 + 0.1 + 0.05 * k);
        else if (spec.kind === 'checker') out.push((Math.floor(i / 4) + Math.floor(j / 4) + k) % 2 ? 0.8 : 0.2);
        else if (spec.kind === 'disc') out.push((i - (h - 1) / 2) ** 2 + (j - (w - 1) / 2) ** 2 < (Math.min(h, w) / 3) ** 2 ? 0.9 : 0.1);
        else out.push(spec.value ?? 0.5);
      }
    }
  }
  return out;
}

/** NHWC images of a spec; batch element b uses seed + 1000 b. */
export function makeImages(spec: ImageSpec, shape: readonly number[]): tf.Tensor4D {
  const [n, h, w, c] = shape as [number, number, number, number];
  const scale = spec.scale ?? 1;
  const values = new Float32Array(n * h * w * c);
  for (let b = 0; b < n; b++) {
    const pixels = pixelValues(spec, h, w, c, (spec.seed ?? 1) + 1000 * b);
    pixels.forEach((v, i) => (values[b * h * w * c + i] = (Math.floor(v * 65536 + 0.5) / 65536) * scale));
  }
  return tf.tensor4d(values, [n, h, w, c]);
}
