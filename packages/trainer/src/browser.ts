// The browser entry of @losskit/trainer (the package's "default" export condition): the same
// names as the Node entry (index.ts), so code and types are shared, but the four that need a
// file system or a native renderer are stand-ins that throw a TrainerInputError saying what to
// use in a page instead. Only their types are imported from the Node modules (erased in the
// output), so nothing Node-only reaches a bundle (test/browser/bundle.test.ts).
import type { CsvLogger as NodeCsvLogger } from './callbacks/csv-logger.js';
import type { TensorBoard as NodeTensorBoard } from './callbacks/tensorboard.js';
import { TrainerInputError } from './errors.js';
import type { fileSystemIO as nodeFileSystemIO } from './persistence/fs-model-io.js';
import type { plotHistory as nodePlotHistory } from './plot/index.js';

export * from './shared-exports.js';

function nodeOnly(name: string, instead: string): TrainerInputError {
  return new TrainerInputError(`${name} needs Node's file system, which a browser does not have. ${instead}`);
}

export const fileSystemIO: typeof nodeFileSystemIO = () => {
  throw nodeOnly('fileSystemIO', "Save to a tf.io URL instead: trainer.save('indexeddb://my-model') or 'localstorage://my-model', 'downloads://my-model'.");
};

export const plotHistory: typeof nodePlotHistory = () =>
  Promise.reject(nodeOnly('plotHistory (which writes SVG/PNG files)', "Draw the chart in the page with renderLossChart from '@losskit/trainer/chart' (vega-embed)."));

export const CsvLogger = class CsvLogger {
  constructor() {
    throw nodeOnly('CsvLogger', 'Read the per-epoch logs from the History that fit returns, or pass a callback with onEpochEnd(epoch, logs).');
  }
} as unknown as typeof NodeCsvLogger;

export const TensorBoard = class TensorBoard {
  constructor() {
    throw nodeOnly('TensorBoard (which writes event files)', 'Read the per-epoch logs from the History that fit returns, or pass a callback with onEpochEnd(epoch, logs).');
  }
} as unknown as typeof NodeTensorBoard;
