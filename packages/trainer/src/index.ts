// The Node entry of @losskit/trainer (the package's "node" export condition): everything in
// shared-exports.ts plus the parts that write files. Browsers get browser.ts, where these names
// are stand-ins that say what to use there. Power tools live on subpaths:
// '@losskit/trainer/persistence' (checkpoint and save-file functions, Node only), '/progress'
// (the progress callback), '/plot' (SVG/PNG rendering of a history).
export * from './shared-exports.js';
export { fileSystemIO } from './persistence/fs-model-io.js';
export { CsvLogger } from './callbacks/csv-logger.js';
export { TensorBoard } from './callbacks/tensorboard.js';
export { plotHistory } from './plot/index.js';
