import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { errnoCode, TrainerFileSystemError } from './fs-errors.js';

/**
 * The low-level writes of persistence. Every file-system failure leaves here as a
 * TrainerFileSystemError naming the file and the action; callers add what is still intact.
 */

/** Runs one file-system step; a Node system error becomes a TrainerFileSystemError about `file`. */
export async function fsStep<T>(action: string, file: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw asFileSystemError(action, file, error);
  }
}

/** A Node system error as a TrainerFileSystemError about `file`; other errors unchanged. */
export function asFileSystemError(action: string, file: string, error: unknown): unknown {
  const code = errnoCode(error);
  if (code === undefined || error instanceof TrainerFileSystemError) return error;
  return new TrainerFileSystemError(code, file, action, '', { cause: error });
}

/**
 * Creates a new file (never an existing one, never through a symbolic link) and fsyncs it before
 * closing, so a rename that follows can never publish a directory whose files are still only in
 * the page cache (a power cut would empty them).
 */
export async function writeNewFileDurable(file: string, data: string | Uint8Array): Promise<void> {
  await writeFileDurable(file, data, constants.O_EXCL);
}

/** Writes `file` (replacing a regular file there, never following a symbolic link) and fsyncs it. */
export async function writeFileDurable(file: string, data: string | Uint8Array, extraFlags = constants.O_TRUNC): Promise<void> {
  await fsStep('write', file, async () => {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | extraFlags;
    const handle = await fs.open(file, flags, 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  });
}

/** Makes a directory's entries (creations, renames) durable; Linux needs this separately from file data. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, constants.O_RDONLY);
    await handle.sync();
  } catch (error) {
    // Some file systems (and Windows) refuse fsync on a directory; the data files are synced anyway.
    if (!isIgnorableDirSyncError(error)) throw asFileSystemError('sync', dir, error);
  } finally {
    await handle?.close();
  }
}

function isIgnorableDirSyncError(error: unknown): boolean {
  const code = errnoCode(error);
  return code === 'EISDIR' || code === 'EPERM' || code === 'EINVAL' || code === 'EBADF';
}

/** Prefix of directories being written; anything that starts with it is unfinished by definition. */
export const TEMP_PREFIX = '.tmp-';
/** Prefix of directories on their way out: renamed first so a half-deleted one never keeps a valid name. */
export const TRASH_PREFIX = '.trash-';

/** `.tmp-<base>-<pid>-<8 hex>`: the pid tells a later process whether its writer is still alive. */
export function siblingName(target: string, prefix: string): string {
  const unique = `${process.pid}-${randomBytes(4).toString('hex')}`;
  return path.join(path.dirname(target), `${prefix}${path.basename(target)}-${unique}`);
}

/** Matches the temp and trash siblings of `base` exactly as siblingName makes them. */
export function leftoverPattern(base: string): RegExp {
  return new RegExp(`^(${escapeRe(TEMP_PREFIX)}|${escapeRe(TRASH_PREFIX)})${escapeRe(base)}-(\\d+)-[0-9a-f]{8}$`);
}

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether a process with this pid exists on this machine (EPERM: it exists but is not ours). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}

/** The entry's type without following a symbolic link, or undefined when nothing is there. */
export async function lstatIfExists(file: string): Promise<import('node:fs').Stats | undefined> {
  try {
    return await fs.lstat(file);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw asFileSystemError('inspect', file, error);
  }
}

/** The names in a directory, or undefined when it does not exist (nothing saved there yet). */
export async function readDirIfExists(dir: string): Promise<string[] | undefined> {
  try {
    return await fs.readdir(dir);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw asFileSystemError('list', dir, error);
  }
}

/**
 * Removes a directory losskit wrote: only regular files whose names are in `ownFiles` are
 * unlinked, then the directory itself. Anything else inside (a file someone added, a symbolic
 * link, a subdirectory) stays, and so does the directory; returns whether it is gone.
 */
export async function removeOwnDir(dir: string, ownFiles: ReadonlySet<string>): Promise<boolean> {
  const entries = await readDirIfExists(dir);
  if (!entries) return true;
  let foreign = false;
  for (const name of entries) {
    const stat = await lstatIfExists(path.join(dir, name));
    if (!stat) continue;
    if (!ownFiles.has(name) || !stat.isFile()) {
      foreign = true;
      continue;
    }
    await fsStep('remove', path.join(dir, name), () => fs.unlink(path.join(dir, name)));
  }
  if (foreign) return false;
  await fsStep('remove', dir, () => fs.rmdir(dir));
  return true;
}

/** Removes a directory so that an interruption leaves only a trash-named leftover, never a partial `dir`. */
export async function removeDirSafely(dir: string, ownFiles: ReadonlySet<string>): Promise<void> {
  const trash = siblingName(dir, TRASH_PREFIX);
  try {
    await fs.rename(dir, trash);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return;
    throw asFileSystemError('remove', dir, error);
  }
  await fsyncDir(path.dirname(dir));
  await removeOwnDir(trash, ownFiles);
}

/**
 * Removes the temp and trash siblings of `base` in `parent` that a writer now dead left behind
 * (a live writer's are its own business); returns their names. Only losskit's own files are
 * removed from them.
 */
export async function removeDeadLeftovers(parent: string, base: string | RegExp, ownFiles: ReadonlySet<string>): Promise<string[]> {
  const entries = await readDirIfExists(parent);
  if (!entries) return [];
  const removed: string[] = [];
  for (const entry of entries) {
    const pid = leftoverPid(entry, base);
    if (pid === undefined || isProcessAlive(pid)) continue;
    const stat = await lstatIfExists(path.join(parent, entry));
    if (!stat?.isDirectory()) continue;
    if (await removeOwnDir(path.join(parent, entry), ownFiles)) removed.push(entry);
  }
  return removed;
}

/** The writer pid in a leftover's name, when `entry` is a leftover of `base` (a name, or a pattern of names). */
export function leftoverPid(entry: string, base: string | RegExp): number | undefined {
  const match = /^(?:\.tmp-|\.trash-)(.+)-(\d+)-[0-9a-f]{8}$/.exec(entry);
  if (!match) return undefined;
  const owner = match[1]!;
  const matches = typeof base === 'string' ? owner === base : base.test(owner);
  return matches ? Number(match[2]) : undefined;
}
