import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { ResolvedLoss } from '@losskit/core';
import { makeImages, type ImageSpec } from './fixture-images.js';

/** One case of a fixture written by scripts/fixtures/image_losses.py. */
export interface ReferenceCase {
  loss: string;
  options: Record<string, unknown>;
  shape: number[];
  yTrue: ImageSpec;
  yPred: ImageSpec;
  reference: string;
  /** Per-sample loss values. */
  values: number[];
  /** Per-sample similarity (SSIM, MS-SSIM) where the loss is 1 - similarity. */
  similarity?: number[];
  /** d(sum of per-sample losses)/d(y_pred), NHWC, in full or at gradientIndex. */
  gradient?: number[];
  gradientIndex?: number[];
  gradientAt?: number[];
}

export interface ReferenceFixture {
  versions: Record<string, string>;
  cases: ReferenceCase[];
}

export function readFixture(url: URL): ReferenceFixture {
  return JSON.parse(readFileSync(url, 'utf8')) as ReferenceFixture;
}

export function describeCase(c: ReferenceCase): string {
  return `${c.loss} ${JSON.stringify(c.options)} [${c.shape}] ${c.yTrue.kind} vs ${c.yPred.kind}`;
}

/**
 * Loss values within 1e-5 relative plus 1e-6 absolute (float32 leaves ~1e-7 on values at 0,
 * and up to 8e-6 on 5-scale MS-SSIM of a two-valued image against a constant one, where flat
 * regions make E[x^2] - E[x]^2 cancel: 1.06e-5 relative, the worst case measured); gradients
 * within 1e-4 of their largest element (plus 5e-8 absolute: at identical images the reference
 * gradient is 0 and float32 leaves ~1e-8).
 */
export const VALUE_RTOL = 1e-5;
export const VALUE_ATOL = 1e-6;
export const GRADIENT_RTOL = 1e-4;
export const GRADIENT_ATOL = 5e-8;

export interface CaseErrors {
  /** Largest |ours - reference| / (VALUE_RTOL |reference| + VALUE_ATOL) of the loss values: at most 1 passes. */
  value: number;
  /** Largest |ours - reference| of the gradient / (GRADIENT_RTOL max |reference| + GRADIENT_ATOL): at most 1 passes. */
  gradient: number;
}

/** Runs one case with a resolved loss: values and gradient against the fixture, as errors. */
export function measureCase(c: ReferenceCase, resolved: ResolvedLoss): CaseErrors {
  return tf.tidy(() => {
    const yTrue = makeImages(c.yTrue, c.shape);
    const yPred = makeImages(c.yPred, c.shape);
    const values = Array.from(resolved.perSample(yTrue, yPred).dataSync());
    const value = Math.max(...values.map((v, i) => Math.abs(v - c.values[i]!) / (VALUE_RTOL * Math.abs(c.values[i]!) + VALUE_ATOL)));
    const gradient = tf.grad((p: tf.Tensor) => tf.sum(resolved.perSample(yTrue, p)))(yPred).dataSync();
    const index = c.gradientIndex ?? Array.from({ length: gradient.length }, (_, i) => i);
    const reference = c.gradientAt ?? c.gradient!;
    const scale = Math.max(...reference.map(Math.abs));
    let worst = 0;
    index.forEach((at, k) => (worst = Math.max(worst, Math.abs(gradient[at]! - reference[k]!))));
    return { value, gradient: worst / (GRADIENT_RTOL * scale + GRADIENT_ATOL) };
  });
}
