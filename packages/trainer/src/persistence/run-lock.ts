import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { asFileSystemError, fsStep, isProcessAlive, readDirIfExists } from './durable-fs.js';
import { TrainerFileError } from './errors.js';
import { CheckpointLockedError, errnoCode, type LockHolder } from './fs-errors.js';
import { parseUntrustedJson, readConfined, READ_LIMITS } from './safe-read.js';
import { lockFileSchema } from './schemas.js';

/**
 * One live run per checkpoint directory: an exclusive lock file `<root>/.losskit.lock` with the
 * holder's pid, host, run id and purpose. The file appears atomically with its contents (written
 * under a unique name, then hard-linked to the lock name, which fails if the name exists), so a
 * reader never sees a half-written lock. A lock whose process is gone (killed with SIGKILL, say)
 * is stale and is taken over; taking over is serialised by a second lock, `.losskit.lock.break`,
 * so two processes recovering the same stale lock cannot both win.
 */

export const LOCK_FILE = '.losskit.lock';
const BREAK_FILE = `${LOCK_FILE}.break`;

export interface HeldLock {
  readonly holder: LockHolder;
  /** Removes the lock if it is still ours. */
  release(): Promise<void>;
}

interface LockContent extends LockHolder {
  nonce: string;
}

export async function acquireRunLock(root: string, runId: string, purpose: string): Promise<HeldLock> {
  await fsStep('create the checkpoint directory', root, () => fs.mkdir(root, { recursive: true }));
  const content: LockContent = {
    pid: process.pid,
    host: os.hostname(),
    runId,
    purpose,
    since: new Date().toISOString(),
    nonce: randomBytes(8).toString('hex'),
  };
  const lockFile = path.join(root, LOCK_FILE);
  for (let attempt = 0; attempt < 20; attempt++) {
    if (await createExclusively(root, LOCK_FILE, content)) {
      await removeDeadStagingFiles(root);
      return held(lockFile, content, root);
    }
    const holder = await readLock(root, LOCK_FILE);
    if (holder === 'missing') continue;
    if (isAlive(holder)) throw new CheckpointLockedError(root, holder);
    await breakStaleLock(root, holder, content);
  }
  throw new TrainerFileError(`Could not take the lock ${lockFile}: other processes keep taking it. Retry, or use another checkpoint directory.`);
}

function held(lockFile: string, content: LockContent, root: string): HeldLock {
  const { nonce: _nonce, ...holder } = content;
  return {
    holder,
    async release() {
      const current = await readLock(root, LOCK_FILE).catch(() => 'missing' as const);
      if (current !== 'missing' && current.nonce === content.nonce) await fs.unlink(lockFile).catch(() => {});
    },
  };
}

/** Writes `content` under a unique name, then links it to `name`; false when `name` exists. */
async function createExclusively(root: string, name: string, content: LockContent): Promise<boolean> {
  const staging = path.join(root, `${name}.${content.nonce}.${randomBytes(4).toString('hex')}`);
  await fsStep('write the lock', staging, () => fs.writeFile(staging, JSON.stringify(content), { flag: 'wx' }));
  try {
    await fs.link(staging, path.join(root, name));
    return true;
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return false;
    throw asFileSystemError('take the lock', path.join(root, name), error);
  } finally {
    await fs.unlink(staging).catch(() => {});
  }
}

async function readLock(root: string, name: string): Promise<LockContent | 'missing'> {
  const file = path.join(root, name);
  let bytes: Buffer;
  try {
    bytes = await readConfined(root, name, root, 'checkpoint lock', READ_LIMITS.lockBytes);
  } catch (error) {
    if (error instanceof TrainerFileError && /does not exist/.test(error.message)) return 'missing';
    if (error instanceof TrainerFileError && /is larger than/.test(error.message)) throw notALock(file, root, 'it is larger than any lock losskit writes');
    throw error;
  }
  // Garbage, or another program's file of that name: the advice a restore from a save would be
  // wrong here (a lock is no save), and the directory stays unusable until the file is gone.
  let raw: unknown;
  try {
    raw = parseUntrustedJson(bytes.toString('utf8'), file, 'checkpoint lock');
  } catch {
    throw notALock(file, root, 'it is not valid JSON');
  }
  const parsed = lockFileSchema.safeParse(raw);
  if (!parsed.success) throw notALock(file, root, "its fields are not a lock's (pid, host, run id, purpose, since)");
  return parsed.data;
}

function notALock(file: string, root: string, why: string): TrainerFileError {
  return new TrainerFileError(
    `${file} is not a losskit lock file (${why}). If no run uses ${root}, delete it by hand; losskit does not remove files it cannot recognise.`,
  );
}

/** A holder on another host cannot be checked, so it counts as alive. */
function isAlive(holder: LockHolder): boolean {
  return holder.host !== os.hostname() || isProcessAlive(holder.pid);
}

/** Removes the main lock if it is still the stale one seen, under the break lock. */
async function breakStaleLock(root: string, stale: LockContent, mine: LockContent): Promise<void> {
  const breaker = { ...mine, purpose: 'recovering a stale lock', nonce: randomBytes(8).toString('hex') };
  if (!(await createExclusively(root, BREAK_FILE, breaker))) {
    const other = await readLock(root, BREAK_FILE);
    // A breaker that died mid-recovery leaves its lock; nobody else can be inside it then.
    if (other !== 'missing' && !isAlive(other)) await fs.unlink(path.join(root, BREAK_FILE)).catch(() => {});
    else await new Promise((resolve) => setTimeout(resolve, 20));
    return;
  }
  try {
    const current = await readLock(root, LOCK_FILE);
    if (current !== 'missing' && current.nonce === stale.nonce) await fs.unlink(path.join(root, LOCK_FILE)).catch(() => {});
  } finally {
    await fs.unlink(path.join(root, BREAK_FILE)).catch(() => {});
  }
}

const STAGING = /^\.losskit\.lock(?:\.break)?\.[0-9a-f]{16}\.[0-9a-f]{8}$/;

/** Lock files a killed process staged but never linked (it died between the two steps). */
async function removeDeadStagingFiles(root: string): Promise<void> {
  for (const name of (await readDirIfExists(root)) ?? []) {
    if (!STAGING.test(name)) continue;
    const staged = await readLock(root, name).catch(() => 'missing' as const);
    if (staged !== 'missing' && !isAlive(staged)) await fs.unlink(path.join(root, name)).catch(() => {});
  }
}
