import { TrainerFileError } from './errors.js';

// Errors only the file-system persistence raises (Node): refused writes, targets in the way,
// locked checkpoint directories.

/**
 * The file system refused a write (full disk, read-only, permissions, a path component that is
 * a file...). `file` is the file or directory being written; `outcome` says what is still safe.
 */
export class TrainerFileSystemError extends TrainerFileError {
  constructor(
    /** The Node error code: ENOSPC, EROFS, EACCES, EEXIST, ENOTDIR, ... */
    readonly code: string,
    readonly file: string,
    readonly action: string,
    /** What the failure left intact, e.g. "The previous save in runs/model is intact." */
    readonly outcome: string,
    options: { cause?: unknown } = {},
  ) {
    super(`Could not ${action} ${file}: ${explainCode(code)} (${code}).${outcome ? ` ${outcome}` : ''}`);
    if ('cause' in options) (this as { cause?: unknown }).cause = options.cause;
  }

  /** The same failure with the caller's knowledge of what is intact. */
  withOutcome(outcome: string): TrainerFileSystemError {
    return new TrainerFileSystemError(this.code, this.file, this.action, outcome, { cause: this.cause });
  }
}

/** `save(dir)` or a checkpoint write refused because something losskit did not write is in the way. */
export class SaveTargetError extends TrainerFileError {
  constructor(
    readonly target: string,
    readonly reason: string,
  ) {
    super(`Refusing to save to ${target}: ${reason} Nothing was written or removed.`);
  }
}

/** What a checkpoint lock file says about the run holding it. */
export interface LockHolder {
  pid: number;
  host: string;
  runId: string;
  purpose: string;
  since: string;
}

/** A checkpoint directory held by another live run (another process, or another fit in this one). */
export class CheckpointLockedError extends TrainerFileError {
  constructor(
    readonly root: string,
    readonly holder: LockHolder,
  ) {
    const who = holder.pid === currentPid() ? 'this process (another fit or resume in it)' : `process ${holder.pid} on ${holder.host}`;
    super(
      `The checkpoint directory ${root} is in use by ${who}: run '${holder.runId}' (${holder.purpose}) holds it since ` +
        `${holder.since}. Wait for it to finish, stop it, or use another checkpoint directory. A lock left by a process ` +
        `that died is recovered by itself.`,
    );
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
  EEXIST: 'a file is in the way (a path component is a file, not a directory)',
  ENOTDIR: 'a path component is a file, not a directory',
  EISDIR: 'a directory is in the way',
  ENOTEMPTY: 'the directory is not empty (something else wrote into it meanwhile)',
  EMFILE: 'too many open files in this process',
  ENFILE: 'too many open files on this system',
  EIO: 'an input/output error from the device',
  ELOOP: 'a symbolic link is in the way',
  ENAMETOOLONG: 'the path is too long',
  EBUSY: 'the file or directory is busy',
  EXDEV: 'the path crosses file systems',
};

function explainCode(code: string): string {
  return REASONS[code] ?? 'the file system refused it';
}

/** Whether a value is a Node system error with a code (ENOSPC, ...). */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** This process's id (Node); undefined in a browser, read without naming `process` there. */
function currentPid(): number | undefined {
  return (globalThis as { process?: { pid?: number } }).process?.pid;
}
