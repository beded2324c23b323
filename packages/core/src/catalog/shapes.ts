import { ShapeMismatchError } from '../errors.js';
import { defaultOptions } from '../options.js';
import type { CatalogEntry } from './entries.js';
import { assertSameShapeAfterRankFix, canonicalAxis } from './keras-ops.js';

/** The y_true / y_pred shape check of a catalog loss, with its options in hand. */
export function checkShapes(
  entry: CatalogEntry,
  options: Record<string, unknown>,
  yTrue: readonly number[],
  yPred: readonly number[],
): void {
  const name = entry.name;
  {
    switch (entry.shapes) {
      case 'same':
        assertSameShapeAfterRankFix(name, yTrue, yPred);
        break;
      case 'sparse':
        assertSparseLabels(name, yTrue, yPred);
        break;
      case 'ctc':
        if (yTrue.length !== 2 || yPred.length !== 3 || yTrue[0] !== yPred[0]) {
          refuse(name, yTrue, yPred, 'labels [batch, maxLabelLength] (0 pads) and logits [batch, time, classes]');
        }
        break;
      case 'circle':
        if (yPred.length !== 2 || !(yTrue.length === 1 || (yTrue.length === 2 && yTrue[1] === 1)) || yTrue[0] !== yPred[0]) {
          refuse(name, yTrue, yPred, 'integer labels [batch] and embeddings [batch, dim]');
        }
        break;
      case 'any':
        break;
    }
    checkAxes(entry, options.axis, Math.max(yTrue.length, yPred.length));
  }
}

function checkAxes(entry: CatalogEntry, axis: unknown, rank: number): void {
  if (axis === undefined || axis === null) return;
  const defaultAxis = () => defaultOptions(entry.options)?.axis;
  for (const one of Array.isArray(axis) ? axis : [axis]) canonicalAxis(entry.name, one as number, rank, defaultAxis);
}

function assertSparseLabels(name: string, yTrue: readonly number[], yPred: readonly number[]): void {
  const rows = yPred.slice(0, -1);
  const plain = yTrue.length === rows.length && yTrue.every((dim, i) => dim === rows[i]);
  const trailingOne = yTrue.length === yPred.length && yTrue[yTrue.length - 1] === 1 && rows.every((dim, i) => dim === yTrue[i]);
  if (!plain && !trailingOne) {
    throw new ShapeMismatchError(
      `Loss '${name}': expected one integer label per prediction row (y_true of shape [${rows}] or [${rows},1]), ` +
        `got y_true of shape [${yTrue}] for y_pred of shape [${yPred}]. For one-hot targets use 'categorical-crossentropy'.`,
    );
  }
}

function refuse(name: string, yTrue: readonly number[], yPred: readonly number[], expected: string): never {
  throw new ShapeMismatchError(`Loss '${name}': expects ${expected}; got y_true [${yTrue}] and y_pred [${yPred}].`);
}
