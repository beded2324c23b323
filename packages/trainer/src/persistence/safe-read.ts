import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { TrainerFileError } from './errors.js';
import { errnoCode } from './fs-errors.js';
import { READ_LIMITS } from './limits.js';
import { parseUntrustedJson } from './untrusted-json.js';

/**
 * Reading files a saved directory names, treating the directory as untrusted input: a path is
 * confined to the directory (no absolute path, no `..`, no symbolic link anywhere below it),
 * only regular files are opened (never a device, FIFO or socket), and a file's size is checked
 * against what the manifest declares, and against a cap, before a byte is read. Messages name
 * the file in the save that is at fault but never quote a file's bytes or state its size.
 */

export { READ_LIMITS } from './limits.js';

/**
 * Turns a relative path from a saved file into a path inside `dir`, or throws. Accepts what
 * tfjs and losskit write ('weights.bin', './weights.bin', 'shards/group1-shard1of2.bin').
 */
export function confinedPath(dir: string, relative: unknown, namedBy: string): string {
  const reject = (why: string) =>
    new TrainerFileError(`${namedBy} names a file ${why}; a saved directory may only name files inside itself. Refusing to read it.`);
  if (typeof relative !== 'string' || relative.length === 0 || relative.length > 1024) throw reject('that is not a file name');
  if (relative.includes('\0') || relative.includes('\\')) throw reject('with a NUL or backslash in its name');
  if (path.posix.isAbsolute(relative) || path.win32.isAbsolute(relative) || /^[a-z][a-z0-9+.-]*:/i.test(relative)) {
    throw reject('by an absolute path or URL');
  }
  const segments = relative.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.length === 0) throw reject('that is not a file name');
  if (segments.includes('..')) throw reject("outside the directory ('..')");
  return path.join(dir, ...segments);
}

/** An opened regular file inside a save, with its size known before any read. */
export interface ConfinedFile {
  file: string;
  size: number;
  handle: fs.FileHandle;
}

/**
 * Opens `relative` inside `dir` after checking every path component below `dir` with lstat
 * (a symbolic link anywhere is refused), with O_NOFOLLOW (a link swapped in after the check
 * fails to open) and O_NONBLOCK (a FIFO cannot hang the open); the opened handle must be a
 * regular file and the same one that was checked.
 */
export async function openConfined(dir: string, relative: string, namedBy: string, what: string): Promise<ConfinedFile> {
  const file = confinedPath(dir, relative, namedBy);
  const parts = path.relative(dir, file).split(path.sep);
  let current = dir;
  let checked: import('node:fs').Stats | undefined;
  for (const part of parts) {
    current = path.join(current, part);
    checked = await lstatOrExplain(current, file, what);
    if (checked.isSymbolicLink()) throw unsafe(file, what, 'is a symbolic link (or lies below one)');
    if (current !== file && !checked.isDirectory()) throw unsafe(file, what, 'lies below something that is not a directory');
  }
  if (!checked!.isFile()) throw unsafe(file, what, 'is not a regular file (a device, FIFO, socket or directory)');
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    throw unreadable(file, what, error);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile() || stat.ino !== checked!.ino || stat.dev !== checked!.dev) {
      throw unsafe(file, what, 'changed while it was being opened');
    }
    return { file, size: stat.size, handle };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Reads exactly `size` bytes from an opened file. */
export async function readAll(opened: ConfinedFile, what: string): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(opened.size);
  let offset = 0;
  try {
    while (offset < opened.size) {
      const { bytesRead } = await opened.handle.read(buffer, offset, opened.size - offset, offset);
      if (bytesRead === 0) throw new TrainerFileError(`${opened.file} (${what}) became shorter while it was read; it is being written by something else.`);
      offset += bytesRead;
    }
  } catch (error) {
    if (error instanceof TrainerFileError) throw error;
    throw unreadable(opened.file, what, error);
  }
  return buffer;
}

/** Reads a whole small file inside `dir`, refusing it when it is larger than `maxBytes`. */
export async function readConfined(dir: string, relative: string, namedBy: string, what: string, maxBytes: number): Promise<Buffer> {
  const opened = await openConfined(dir, relative, namedBy, what);
  try {
    if (opened.size > maxBytes) {
      throw new TrainerFileError(`${opened.file} (${what}) is larger than the ${maxBytes} bytes losskit reads for it; it is not a file losskit wrote.`);
    }
    return await readAll(opened, what);
  } finally {
    await opened.handle.close();
  }
}

export { parseUntrustedJson } from './untrusted-json.js';

/** Reads and parses a JSON file inside `dir` (see readConfined and parseUntrustedJson). */
export async function readConfinedJson(dir: string, relative: string, namedBy: string, what: string, maxBytes: number): Promise<unknown> {
  const bytes = await readConfined(dir, relative, namedBy, what, maxBytes);
  return parseUntrustedJson(bytes.toString('utf8'), path.join(dir, relative), what);
}

function unsafe(file: string, what: string, why: string): TrainerFileError {
  return new TrainerFileError(`${file} (${what}) ${why}; losskit reads only regular files inside a saved directory. Refusing to read it.`);
}

async function lstatOrExplain(current: string, file: string, what: string): Promise<import('node:fs').Stats> {
  try {
    return await fs.lstat(current);
  } catch (error) {
    throw unreadable(file, what, error);
  }
}

function unreadable(file: string, what: string, error: unknown): TrainerFileError {
  const code = errnoCode(error);
  const reason = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`;
  return new TrainerFileError(
    `${file} (${what}) ${reason}. Check the path: it should be a directory written by trainer.save() or a checkpoint.`,
  );
}
