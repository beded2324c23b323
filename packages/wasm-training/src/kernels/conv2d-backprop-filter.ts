/**
 * Conv2DBackpropFilter for the wasm backend, which has none.
 *
 * dW[kh, kw, ci, co] = sum over n, oh, ow of
 *   x[n, oh*sh - top + kh*dh, ow*sw - left + kw*dw, ci] * dy[n, oh, ow, co]
 *
 * is itself a convolution once the batch and channel axes of x are swapped:
 * the "image" is x as [Ci, H, W, N] (Ci plays the batch), the "filter" is dy as
 * [Ho, Wo, N, Co], the stride of the new conv is the dilation of the old one and its
 * dilation is the old stride. The result [Ci, >=fh, >=fw, Co] is cut to the filter
 * size and transposed back to [fh, fw, Ci, Co]. All of it runs on the wasm Conv2D
 * (XNNPACK), Transpose and Slice kernels.
 */
import * as tf from '@tensorflow/tfjs';
import {
  explicitPad, release, run, slice, transpose, type KernelArgs, type TensorInfo,
} from '../compose.js';

type Pad = Parameters<typeof tf.backend_util.computeConv2DInfo>[4];

export function conv2DBackpropFilterKernel({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const x = inputs['x']!;
  const dy = inputs['dy']!;
  const filterShape = attrs['filterShape'] as [number, number, number, number];
  const strides = attrs['strides'] as number | [number, number];
  const pad = attrs['pad'] as Pad;
  const dimRoundingMode = attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined;
  // The tfjs kernel has no dilations attribute (conv gradients require dilation 1);
  // honour one if a caller passes it, it costs nothing here.
  const dilations = (attrs['dilations'] as number | [number, number] | undefined) ?? 1;
  const dataFormat = tf.backend_util.convertConv2DDataFormat((attrs['dataFormat'] as 'NHWC' | 'NCHW') ?? 'NHWC');
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, dilations, pad, dimRoundingMode, false, dataFormat,
  );
  const channelsLast = dataFormat === 'channelsLast';
  const { top, bottom, left, right } = info.padInfo;

  // x: [N,H,W,Ci] -> [Ci,H,W,N]   (NCHW: [N,Ci,H,W] -> [Ci,H,W,N])
  const xT = transpose(backend, x, channelsLast ? [3, 1, 2, 0] : [1, 2, 3, 0]);
  // dy: [N,Ho,Wo,Co] -> [Ho,Wo,N,Co]   (NCHW: [N,Co,Ho,Wo] -> [Ho,Wo,N,Co])
  const dyT = transpose(backend, dy, channelsLast ? [1, 2, 0, 3] : [2, 3, 0, 1]);
  const conv = run('Conv2D', backend, { x: xT, filter: dyT }, {
    strides: [info.dilationHeight, info.dilationWidth],
    dilations: [info.strideHeight, info.strideWidth],
    pad: explicitPad(top, bottom, left, right),
    dataFormat: 'NHWC',
  });
  release(backend, xT, dyT);
  const [ci, hc, wc, co] = conv.shape as [number, number, number, number];
  const { filterHeight: fh, filterWidth: fw } = info;
  let cut = conv;
  if (hc !== fh || wc !== fw) {
    cut = slice(backend, conv, [0, 0, 0, 0], [ci, fh, fw, co]);
    release(backend, conv);
  }
  const out = transpose(backend, cut, [1, 2, 0, 3]);
  release(backend, cut);
  return out;
}
