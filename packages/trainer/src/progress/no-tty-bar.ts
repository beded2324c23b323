// What '#tty-bar' resolves to outside Node: no terminal, so no bar (progress prints lines).
import type * as node from './tty-bar.js';

export const ttyBarProgress: typeof node.ttyBarProgress | undefined = undefined;
