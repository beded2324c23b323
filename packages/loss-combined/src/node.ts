// Node's entry of @losskit/loss-combined (the "node" export condition): everything in index.ts,
// plus reading extractor models from file paths. Browsers get index.ts, which loads URLs only.
import path from 'node:path';
import { fileSystemHandler } from './extractors/file-system-handler.js';
import { setLocalFiles } from './extractors/local-files.js';

export * from './index.js';
export { fileSystemHandler };

setLocalFiles({ resolve: (location) => path.resolve(location), sep: path.sep, handler: fileSystemHandler });
