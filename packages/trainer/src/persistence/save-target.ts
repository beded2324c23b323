import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  asFileSystemError,
  fsStep,
  fsyncDir,
  lstatIfExists,
  readDirIfExists,
  removeDeadLeftovers,
  removeOwnDir,
  siblingName,
  TEMP_PREFIX,
  TRASH_PREFIX,
} from './durable-fs.js';
import { TrainerFileError } from './errors.js';
import { errnoCode, SaveTargetError, TrainerFileSystemError } from './fs-errors.js';

/**
 * The save rules: losskit writes a save only into a missing or empty directory, or over a
 * previous losskit save (recognised by its manifest, holding nothing but losskit's files).
 * Anything else is refused before a byte is written, and nothing is removed. Symbolic links are
 * never followed or replaced. The new save is written beside the target under a `.tmp-` name
 * and renamed into place, so readers see the old save or the new one, never a mix.
 */

export interface AtomicSaveOptions {
  /** The file names a save of this kind consists of (the only ones ever removed). */
  ownFiles: ReadonlySet<string>;
  /** Whether a non-empty directory is a complete previous save of this kind. */
  recognise: (dir: string) => Promise<boolean>;
}

type TargetState = 'missing' | 'empty' | 'previous';

export async function writeSaveAtomically(target: string, write: (tempDir: string) => Promise<void>, options: AtomicSaveOptions): Promise<void> {
  refuseWorkingDirectory(target);
  const parent = path.dirname(target);
  let outcome = `Nothing was written at ${target}.`;
  try {
    await fsStep('create the directory', parent, () => fs.mkdir(parent, { recursive: true }));
    const state = await inspectTarget(target, options);
    if (state === 'previous') outcome = `The previous save in ${target} is intact.`;
    const temp = siblingName(target, TEMP_PREFIX);
    await fsStep('create', temp, () => fs.mkdir(temp));
    try {
      await write(temp);
      await fsyncDir(temp);
    } catch (error) {
      await removeOwnDir(temp, options.ownFiles).catch(() => false);
      throw error;
    }
    await publish(temp, target, state, options);
    // Leftovers of this target from a writer that was killed (a live writer's are left alone),
    // removed only now that the new save has the name: a writer killed between its two renames
    // leaves no `target` and both complete saves beside it, the only copies Trainer.load can put
    // back, so a save that fails must not have deleted them first. A failure here leaves them for
    // the next save, the new save being in place.
    await removeDeadLeftovers(parent, path.basename(target), options.ownFiles).catch(() => []);
  } catch (error) {
    throw error instanceof TrainerFileSystemError ? error.withOutcome(outcome) : error;
  }
}

/** What is at `target`, or a SaveTargetError saying what is in the way. */
async function inspectTarget(target: string, options: AtomicSaveOptions): Promise<TargetState> {
  const stat = await lstatIfExists(target);
  if (!stat) return 'missing';
  if (stat.isSymbolicLink()) {
    throw new SaveTargetError(target, 'it is a symbolic link, and losskit never writes through or replaces a link. Save to the directory it points to, or to another path.');
  }
  if (!stat.isDirectory()) throw new SaveTargetError(target, `it is ${describeKind(stat)}, not a directory. Move it away or choose another path.`);
  const entries = (await readDirIfExists(target)) ?? [];
  if (entries.length === 0) return 'empty';
  if (!(await options.recognise(target))) {
    const hint = entries.some((e) => e.startsWith('.losskit')) ? ' It looks like a checkpoint directory; save to a path of its own.' : '';
    throw new SaveTargetError(
      target,
      `it is a directory that is not a losskit save (it holds ${listNames(entries)}). losskit replaces only a previous save ` +
        `made by trainer.save(); choose a new or empty directory.${hint}`,
    );
  }
  const foreign = await foreignEntries(target, entries, options.ownFiles);
  if (foreign.length) {
    throw new SaveTargetError(target, `it is a losskit save but also holds ${listNames(foreign)}, which losskit did not write. Move them out first, or save elsewhere.`);
  }
  return 'previous';
}

/** Puts the finished temp directory in place of `target`. */
async function publish(temp: string, target: string, state: TargetState, options: AtomicSaveOptions): Promise<void> {
  const { ownFiles } = options;
  const parent = path.dirname(target);
  if (state !== 'previous') {
    // rename(2) replaces an empty directory atomically and fails if anything appeared in it.
    try {
      await fs.rename(temp, target);
    } catch (error) {
      await removeOwnDir(temp, ownFiles).catch(() => false);
      const code = errnoCode(error);
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR') {
        throw new SaveTargetError(target, 'something else was created at this path while the save was being written.');
      }
      throw asFileSystemError('rename into place', target, error);
    }
    await fsyncDir(parent);
    return;
  }
  // POSIX rename cannot replace a non-empty directory: move the old save aside first. A kill
  // between the two renames leaves both complete saves beside an empty name; recover-save.ts
  // puts the newest back on the next load.
  const trash = siblingName(target, TRASH_PREFIX);
  try {
    await fs.rename(target, trash);
  } catch (error) {
    // This save's complete copy would otherwise stay until the process exits: its pid is alive,
    // so no leftover sweep touches it.
    await removeOwnDir(temp, ownFiles).catch(() => false);
    // The previous save was there when inspected: another save moved it aside meanwhile.
    if (errnoCode(error) === 'ENOENT') throw anotherSaveFirst(target);
    throw asFileSystemError('move aside the previous save in', target, error);
  }
  const foreign = await foreignEntries(trash, (await readDirIfExists(trash)) ?? [], ownFiles);
  if (foreign.length) {
    // Something was added between the check and the rename: put it all back untouched.
    await fsStep('put back', target, () => fs.rename(trash, target));
    await removeOwnDir(temp, ownFiles).catch(() => false);
    throw new SaveTargetError(target, `files losskit did not write (${listNames(foreign)}) appeared in it during the save.`);
  }
  try {
    await fs.rename(temp, target);
  } catch (error) {
    // Put the previous version back rather than leave the user with nothing under `target`.
    const restored = await fs.rename(trash, target).then(
      () => true,
      () => false,
    );
    await removeOwnDir(temp, ownFiles).catch(() => false);
    if (!restored && (await isNewerSave(target, error, options))) {
      // Another save put its copy in place between this one's renames: that is the newest save,
      // and the previous one moved aside here would only stay behind until this process exits.
      await removeOwnDir(trash, ownFiles).catch(() => false);
      throw anotherSaveFirst(target);
    }
    throw asFileSystemError('rename into place', target, error);
  }
  await fsyncDir(parent);
  // The new save is in place; a failure to delete the old one only leaves a .trash- directory
  // that the next save by another process cleans up.
  await removeOwnDir(trash, ownFiles).catch(() => false);
}

/** Whether the rename into place failed because a complete save of this kind now holds `target`. */
async function isNewerSave(target: string, error: unknown, options: AtomicSaveOptions): Promise<boolean> {
  const code = errnoCode(error);
  if (code !== 'ENOTEMPTY' && code !== 'EEXIST') return false;
  return (await lstatIfExists(target))?.isDirectory() === true && (await options.recognise(target).catch(() => false));
}

/** Two saves of one directory raced (SaveBest and a manual save, two processes...); the other one won. */
function anotherSaveFirst(target: string): TrainerFileError {
  return new TrainerFileError(
    `Could not save to ${target}: another save of the same directory got there first (it replaced the previous save ` +
      `while this one was being written), so ${target} holds that save and nothing of this one was left behind. ` +
      'Save a directory from one place at a time: await each save before the next, and give concurrent savers directories of their own.',
  );
}

async function foreignEntries(dir: string, entries: readonly string[], ownFiles: ReadonlySet<string>): Promise<string[]> {
  const foreign: string[] = [];
  for (const entry of entries) {
    const stat = await lstatIfExists(path.join(dir, entry));
    if (stat && (!ownFiles.has(entry) || !stat.isFile())) foreign.push(entry);
  }
  return foreign;
}

/** Saving onto the working directory or one above it would rename the ground the process stands on. */
function refuseWorkingDirectory(target: string): void {
  const fromTarget = path.relative(target, process.cwd());
  if (fromTarget === '' || (!fromTarget.startsWith('..') && !path.isAbsolute(fromTarget))) {
    throw new SaveTargetError(target, 'it is the working directory or contains it. Save to a subdirectory such as runs/model.');
  }
}

function describeKind(stat: Stats): string {
  if (stat.isFile()) return 'a regular file';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  if (stat.isBlockDevice() || stat.isCharacterDevice()) return 'a device';
  return 'not a directory';
}

function listNames(names: readonly string[]): string {
  const shown = names.slice(0, 5).map((n) => `'${n}'`).join(', ');
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}
