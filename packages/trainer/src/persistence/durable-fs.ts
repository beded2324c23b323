import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes a file and fsyncs it before closing, so a rename that follows can never publish a
 * directory whose files are still only in the page cache (a power cut would empty them).
 */
export async function writeFileDurable(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await fs.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o644);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a directory's entries (creations, renames) durable; Linux needs this separately from file data. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, constants.O_RDONLY);
    await handle.sync();
  } catch (error) {
    // Some file systems (and Windows) refuse fsync on a directory; the data files are synced anyway.
    if (!isIgnorableDirSyncError(error)) throw error;
  } finally {
    await handle?.close();
  }
}

function isIgnorableDirSyncError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EISDIR' || code === 'EPERM' || code === 'EINVAL' || code === 'EBADF';
}

/** Prefix of directories being written; anything that starts with it is unfinished by definition. */
export const TEMP_PREFIX = '.tmp-';
/** Prefix of directories on their way out: renamed first so a half-deleted one never keeps a valid name. */
export const TRASH_PREFIX = '.trash-';

function siblingName(target: string, prefix: string): string {
  const unique = `${process.pid}-${randomBytes(4).toString('hex')}`;
  return path.join(path.dirname(target), `${prefix}${path.basename(target)}-${unique}`);
}

/**
 * Fills a fresh temp directory next to `target` with `write`, syncs it, then renames it to
 * `target`. Readers therefore see either the old complete directory or the new complete one,
 * never a mix. An existing `target` is moved aside first (rename onto a non-empty directory
 * fails on POSIX) and removed only after the new one is in place.
 */
export async function writeDirAtomically(target: string, write: (tempDir: string) => Promise<void>): Promise<void> {
  const parent = path.dirname(target);
  await fs.mkdir(parent, { recursive: true });
  const temp = siblingName(target, TEMP_PREFIX);
  await fs.mkdir(temp);
  try {
    await write(temp);
    await fsyncDir(temp);
  } catch (error) {
    await fs.rm(temp, { recursive: true, force: true });
    throw error;
  }
  let displaced: string | undefined;
  if (await exists(target)) {
    displaced = siblingName(target, TRASH_PREFIX);
    await fs.rename(target, displaced);
  }
  try {
    await fs.rename(temp, target);
  } catch (error) {
    // Put the previous version back rather than leave the user with nothing under `target`.
    if (displaced) await fs.rename(displaced, target).catch(() => {});
    await fs.rm(temp, { recursive: true, force: true });
    throw error;
  }
  await fsyncDir(parent);
  if (displaced) await fs.rm(displaced, { recursive: true, force: true });
}

/** Removes a directory so that an interruption leaves only a trash-named leftover, never a partial `dir`. */
export async function removeDirSafely(dir: string): Promise<void> {
  const trash = siblingName(dir, TRASH_PREFIX);
  try {
    await fs.rename(dir, trash);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await fsyncDir(path.dirname(dir));
  await fs.rm(trash, { recursive: true, force: true });
}

/** The names in a directory, or undefined when it does not exist (nothing saved there yet). */
export async function readDirIfExists(dir: string): Promise<string[] | undefined> {
  try {
    return await fs.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Removes temp and trash directories left in `parent` by a writer that was killed. */
export async function removeLeftovers(parent: string): Promise<string[]> {
  const entries = await readDirIfExists(parent);
  if (!entries) return [];
  const removed: string[] = [];
  for (const entry of entries) {
    if (!entry.startsWith(TEMP_PREFIX) && !entry.startsWith(TRASH_PREFIX)) continue;
    await fs.rm(path.join(parent, entry), { recursive: true, force: true });
    removed.push(entry);
  }
  return removed;
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
