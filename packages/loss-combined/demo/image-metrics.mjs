// PSNR and SSIM on grayscale images in [0, 1] (data range 1), computed in plain JS so the demo's
// figures do not depend on the tensors being judged.

/** PSNR in dB: 10 log10(1 / MSE). */
export function psnr(a, b) {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return 10 * Math.log10(1 / (sum / a.length));
}

// Wang et al. 2004: 11x11 Gaussian window with sigma 1.5, K1 = 0.01, K2 = 0.03, evaluated where
// the window fits inside the image ('valid'), averaged over positions.
const WINDOW = 11;
const SIGMA = 1.5;
const C1 = (0.01 * 1) ** 2;
const C2 = (0.03 * 1) ** 2;
const gaussian = (() => {
  const half = (WINDOW - 1) / 2;
  const w = [];
  for (let y = -half; y <= half; y++) for (let x = -half; x <= half; x++) w.push(Math.exp(-(x * x + y * y) / (2 * SIGMA * SIGMA)));
  const total = w.reduce((s, v) => s + v, 0);
  return w.map((v) => v / total);
})();

/** Mean SSIM of two height x width images (row-major Float32Array slices). */
export function ssim(a, b, height, width) {
  let total = 0;
  let count = 0;
  for (let top = 0; top + WINDOW <= height; top++) {
    for (let left = 0; left + WINDOW <= width; left++) {
      let muA = 0, muB = 0, aa = 0, bb = 0, ab = 0;
      for (let y = 0; y < WINDOW; y++) {
        for (let x = 0; x < WINDOW; x++) {
          const g = gaussian[y * WINDOW + x];
          const va = a[(top + y) * width + left + x];
          const vb = b[(top + y) * width + left + x];
          muA += g * va; muB += g * vb; aa += g * va * va; bb += g * vb * vb; ab += g * va * vb;
        }
      }
      const varA = aa - muA * muA, varB = bb - muB * muB, cov = ab - muA * muB;
      total += ((2 * muA * muB + C1) * (2 * cov + C2)) / ((muA * muA + muB * muB + C1) * (varA + varB + C2));
      count++;
    }
  }
  return total / count;
}
