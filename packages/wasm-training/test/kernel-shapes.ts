/** Convolution shapes shared by the kernel tests (kernels-*.test.ts). */
import * as tf from '@tensorflow/tfjs';

export type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
export type Shape4 = [number, number, number, number];
export const explicit = (t: number, b: number, l: number, r: number): Pad => [[0, 0], [t, b], [l, r], [0, 0]];
export const describePad = (p: Pad) => (typeof p === 'string' ? p : `explicit ${JSON.stringify(p.slice(1, 3))}`);

/** The output shape tfjs computes for a conv (or depthwise conv) of `x` with filter `f`. */
export function outShape(x: Shape4, f: Shape4, strides: number | [number, number], dil: number | [number, number], pad: Pad, depthwise: boolean): number[] {
  return tf.backend_util.computeConv2DInfo(x, f, strides, dil, pad, undefined, depthwise).outShape;
}
