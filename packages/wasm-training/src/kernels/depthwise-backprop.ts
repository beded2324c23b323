/**
 * DepthwiseConv2dNativeBackpropFilter and DepthwiseConv2dNativeBackpropInput for the
 * wasm backend, which has neither. Both are rewritten as a wasm DepthwiseConv2dNative
 * (XNNPACK) plus Transpose / PadV2 / Slice / Reverse / Sum.
 */
import * as tf from '@tensorflow/tfjs';
import {
  explicitPad, pad as padKernel, padOrCrop, release, run, slice, sum, transpose, view,
  type Attrs, type KernelArgs, type TensorInfo,
} from '../compose.js';

type Pad = Parameters<typeof tf.backend_util.computeConv2DInfo>[4];
type Shape4 = [number, number, number, number];

function convInfo(xShape: Shape4, filterShape: Shape4, attrs: Attrs) {
  return tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs['strides'] as number | [number, number],
    (attrs['dilations'] as number | [number, number] | undefined) ?? 1,
    attrs['pad'] as Pad,
    attrs['dimRoundingMode'] as 'floor' | 'round' | 'ceil' | undefined,
    true,
  );
}

/**
 * dF[kh, kw, c, m] = sum over n, oh, ow of
 *   x[n, oh*sh - top + kh*dh, ow*sw - left + kw*dw, c] * dy[n, oh, ow, c*M + m]
 *
 * With x as one image [1, H, W, N*C] and dy as a depthwise filter [Ho, Wo, N*C, M],
 * this is a depthwise conv with stride (dh, dw) and dilation (sh, sw); its output
 * [1, >=fh, >=fw, N*C*M] is cut to the filter size and summed over N.
 */
export function depthwiseBackpropFilterKernel({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const x = inputs['x']!;
  const dy = inputs['dy']!;
  const filterShape = attrs['filterShape'] as Shape4;
  const info = convInfo(x.shape as Shape4, filterShape, attrs);
  const [n, h, w, c] = x.shape as Shape4;
  const [, ho, wo, cm] = dy.shape as Shape4;
  const m = cm / c;
  const { top, bottom, left, right } = info.padInfo;
  const { filterHeight: fh, filterWidth: fw } = info;

  const xT = n === 1 ? x : transpose(backend, x, [1, 2, 0, 3]); // [H,W,N,C]
  const dyT = n === 1 ? dy : transpose(backend, dy, [1, 2, 0, 3]); // [Ho,Wo,N,C*M]
  const conv = run('DepthwiseConv2dNative', backend,
    { x: view(xT, [1, h, w, n * c]), filter: view(dyT, [ho, wo, n * c, m]) },
    {
      strides: [info.dilationHeight, info.dilationWidth],
      dilations: [info.strideHeight, info.strideWidth],
      pad: explicitPad(top, bottom, left, right),
    });
  if (xT !== x) release(backend, xT);
  if (dyT !== dy) release(backend, dyT);
  const [, hc, wc] = conv.shape as Shape4;
  let cut = conv;
  if (hc !== fh || wc !== fw) {
    cut = slice(backend, conv, [0, 0, 0, 0], [1, fh, fw, n * c * m]);
    release(backend, conv);
  }
  if (n === 1) return view(cut, [fh, fw, c, m]);
  const summed = sum(backend, view(cut, [fh, fw, n, c * m]), [2]);
  release(backend, cut);
  return view(summed, [fh, fw, c, m]);
}

/**
 * dx[n, h, w, c] = sum over kh, kw, m of dy[n, oh, ow, c*M + m] * f[kh, kw, c, m]
 * where h = oh*sh - top + kh*dh.
 *
 * dy is spread out by the stride (zeros between rows and columns), padded so that a
 * valid, stride 1 depthwise conv with the spatially flipped filter (dilation dh, dw)
 * covers every input position, then the M multiplier channels are summed.
 */
export function depthwiseBackpropInputKernel({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const dy = inputs['dy']!;
  const filter = inputs['filter']!;
  const inputShape = attrs['inputShape'] as Shape4;
  const info = convInfo(inputShape, filter.shape as Shape4, attrs);
  const [n, h, w, c] = inputShape;
  const [fh, fw, , m] = filter.shape as Shape4;
  const [, ho, wo, cm] = dy.shape as Shape4;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { top, left } = info.padInfo;

  // 1. spread dy by the stride: [N, Ho*sh, Wo*sw, CM] (sh-1 zero rows after each row).
  let spread = dy;
  if (sh > 1) {
    const p = padKernel(backend, view(spread, [n, ho, 1, wo * cm]), [[0, 0], [0, 0], [0, sh - 1], [0, 0]]);
    spread = view(p, [n, ho * sh, wo, cm]);
  }
  if (sw > 1) {
    const rows = spread.shape[1]!;
    const p = padKernel(backend, view(spread, [n * rows, wo, 1, cm]), [[0, 0], [0, 0], [0, sw - 1], [0, 0]]);
    if (spread !== dy) release(backend, spread);
    spread = view(p, [n, rows, wo * sw, cm]);
  }
  // 2. pad (or crop) so that a valid conv of the flipped filter gives H x W outputs.
  const effH = (fh - 1) * dh + 1;
  const effW = (fw - 1) * dw + 1;
  const hd = spread.shape[1]!;
  const wd = spread.shape[2]!;
  const padded = padOrCrop(backend, spread, [effH - 1 - top, h + top - hd], [effW - 1 - left, w + left - wd]);
  if (padded !== spread && spread !== dy) release(backend, spread);
  // 3. flip the filter in space; as a depthwise filter over C*M channels, multiplier 1.
  const flipped = run('Reverse', backend, { x: filter }, { dims: [0, 1] });
  const conv = run('DepthwiseConv2dNative', backend,
    { x: padded, filter: view(flipped, [fh, fw, cm, 1]) },
    { strides: [1, 1], dilations: [dh, dw], pad: 'valid' });
  if (padded !== dy) release(backend, padded);
  release(backend, flipped);
  if (m === 1) return view(conv, [n, h, w, c]);
  const out = sum(backend, view(conv, [n, h, w, c, m]), [4]);
  release(backend, conv);
  return out;
}
