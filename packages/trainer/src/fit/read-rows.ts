import * as tf from '@tensorflow/tfjs';

/**
 * Loss rows kept on the device (webgl, webgpu), read with one wait for it. The stack always has
 * `length` rows (fewer rows are padded with the first): on webgl each new shape would compile
 * its own shader program, a 50-150 ms main-thread task under SwiftShader.
 */
export async function readRowsPadded(rows: readonly tf.Tensor[], length: number): Promise<Float32Array[]> {
  if (length <= 1 || rows.length === 0) return Promise.all(rows.map((row) => row.data() as Promise<Float32Array>));
  const width = rows[0]!.size;
  const all = tf.stack(Array.from({ length: Math.max(length, rows.length) }, (_, i) => rows[i] ?? rows[0]!));
  try {
    const values = (await all.data()) as Float32Array;
    return rows.map((_, i) => values.subarray(i * width, (i + 1) * width));
  } finally {
    all.dispose();
  }
}
