/**
 * MaxPoolGrad for the wasm backend, replacing the stock one, which routes the gradient
 * to the wrong input for pooling windows whose values are all negative (measured: any
 * MaxPooling2D after a layer without ReLU trains differently from cpu). Like cpu and
 * TensorFlow, the whole gradient of a window goes to its first maximum (row-major),
 * padding never wins. A single pass over the window positions, written over the wasm heap.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelArgs, TensorInfo } from '../compose.js';

type Pad = Parameters<typeof tf.backend_util.computePool2DInfo>[4];

export function maxPoolGradKernel({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const dy = inputs['dy']!;
  const input = inputs['input']!;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs['filterSize'] as number | [number, number],
    attrs['strides'] as number | [number, number],
    1,
    attrs['pad'] as Pad,
    attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
  );
  const {
    batchSize, inHeight, inWidth, inChannels: ch, outHeight, outWidth, strideHeight, strideWidth,
    dilationHeight, dilationWidth, effectiveFilterHeight, effectiveFilterWidth,
  } = info;
  const { top, left } = info.padInfo;
  const dx = backend.makeOutput(input.shape, 'float32');
  // Views are taken after makeOutput: allocating may grow (and so move) the wasm heap.
  const out = backend.typedArrayFromHeap(dx);
  const x = backend.typedArrayFromHeap(input);
  const g = backend.typedArrayFromHeap(dy);
  out.fill(0);
  const rowStride = inWidth * ch;
  const imageStride = inHeight * rowStride;
  let gi = 0;
  for (let b = 0; b < batchSize; b++) {
    const base = b * imageStride;
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = oh * strideHeight - top;
      for (let ow = 0; ow < outWidth; ow++) {
        const w0 = ow * strideWidth - left;
        for (let c = 0; c < ch; c++, gi++) {
          let best = Number.NEGATIVE_INFINITY;
          let at = -1;
          for (let fh = 0; fh < effectiveFilterHeight; fh += dilationHeight) {
            const h = h0 + fh;
            if (h < 0 || h >= inHeight) continue;
            for (let fw = 0; fw < effectiveFilterWidth; fw += dilationWidth) {
              const w = w0 + fw;
              if (w < 0 || w >= inWidth) continue;
              const idx = base + h * rowStride + w * ch + c;
              const v = x[idx]!;
              if (v > best) {
                best = v;
                at = idx;
              }
            }
          }
          if (at >= 0) out[at]! += g[gi]!;
        }
      }
    }
  }
  return dx;
}
