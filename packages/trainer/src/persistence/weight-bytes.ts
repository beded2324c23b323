import { TrainerFileError } from './errors.js';
import { READ_LIMITS } from './limits.js';
import type { SavedWeightSpec } from './schemas.js';

const BYTES_PER_ELEMENT: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** Bytes the specs describe, refusing totals above what losskit reads (a declared shape cannot make it allocate more). */
export function weightBytes(specs: readonly SavedWeightSpec[], namedBy: string): number {
  let total = 0;
  for (const spec of specs) {
    const dtype = spec.quantization?.dtype ?? spec.dtype;
    total += spec.shape.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[dtype]!;
    if (!(total <= READ_LIMITS.binaryBytes)) {
      throw new TrainerFileError(`${namedBy} declares more weight bytes than the ${READ_LIMITS.binaryBytes} losskit reads; it is not a file losskit wrote.`);
    }
  }
  return total;
}
