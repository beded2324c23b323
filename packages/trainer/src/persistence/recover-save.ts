import fs from 'node:fs/promises';
import path from 'node:path';
import { fsStep, fsyncDir, isProcessAlive, leftoverPattern, lstatIfExists, readDirIfExists, removeOwnDir, TEMP_PREFIX } from './durable-fs.js';
import { isLosskitSave, SAVE_FILES } from './trainer-files.js';

export interface RecoveredSave {
  /** The sibling directory that was renamed to the save's name. */
  from: string;
  /** 'new': the save that was being written (`.tmp-`); 'previous': the one it replaced (`.trash-`). */
  which: 'new' | 'previous';
  /** Other leftovers of the same interrupted save, removed as the save itself would have. */
  removed: string[];
}

/**
 * `save(dir)` renames the old `dir` to `.trash-<name>-…`, then its complete `.tmp-<name>-…` to
 * `dir`. A process killed between those two renames leaves no `dir` at all, but both complete
 * saves beside it. When `dir` is missing, this puts the newest complete one back: the new save
 * if its files are complete (its losskit.json is written last), else the previous one. Returns
 * undefined when `dir` exists or nothing complete is found (the load then reports the missing dir).
 * Leftovers of a writer that is still alive are not touched (that save is still under way), and
 * only losskit's own files are removed from the others.
 */
export async function recoverInterruptedSave(dir: string): Promise<RecoveredSave | undefined> {
  const target = path.resolve(dir);
  if (await lstatIfExists(target)) return undefined;
  const parent = path.dirname(target);
  const leftovers = await leftoversOf(parent, path.basename(target));
  const complete = [];
  for (const leftover of leftovers) if (await isLosskitSave(path.join(parent, leftover.name))) complete.push(leftover);
  // The new save wins over the previous one; among several of a kind, the most recently written.
  const chosen = complete.sort((a, b) => rank(b) - rank(a) || b.mtimeMs - a.mtimeMs)[0];
  if (!chosen) return undefined;
  await fsStep('restore', target, () => fs.rename(path.join(parent, chosen.name), target));
  await fsyncDir(parent);
  const removed: string[] = [];
  for (const other of leftovers) {
    if (other === chosen) continue;
    if (await removeOwnDir(path.join(parent, other.name), SAVE_FILES)) removed.push(other.name);
  }
  return { from: path.join(parent, chosen.name), which: chosen.kind, removed };
}

interface Leftover {
  name: string;
  kind: 'new' | 'previous';
  mtimeMs: number;
}

const rank = (leftover: Leftover) => (leftover.kind === 'new' ? 1 : 0);

/** `.tmp-<base>-<pid>-<8 hex>` and `.trash-<base>-<pid>-<8 hex>` of writers no longer alive. */
async function leftoversOf(parent: string, base: string): Promise<Leftover[]> {
  const entries = await readDirIfExists(parent);
  if (!entries) return [];
  const pattern = leftoverPattern(base);
  const found: Leftover[] = [];
  for (const name of entries) {
    const match = pattern.exec(name);
    if (!match || isProcessAlive(Number(match[2]))) continue;
    const stat = await lstatIfExists(path.join(parent, name));
    if (!stat?.isDirectory()) continue;
    found.push({ name, kind: match[1] === TEMP_PREFIX ? 'new' : 'previous', mtimeMs: stat.mtimeMs });
  }
  return found;
}
