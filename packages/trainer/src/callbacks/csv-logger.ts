import { open, stat } from 'node:fs/promises';
import { TrainerInputError } from '../errors.js';
import type { Logs, TrainerCallback } from '../fit/callbacks.js';
import { checkKeys } from './monitor.js';

export interface CsvLoggerOptions {
  /** Column separator (default ','). */
  separator?: string;
  /** Add rows to an existing file (its header is kept) instead of starting a new one. */
  append?: boolean;
}

/**
 * Keras 3's `CSVLogger`: one row per epoch, columns `epoch` then the logged keys sorted; when
 * the first epoch has no `val_` keys, `val_<key>` columns are added anyway and hold `NA`, as
 * Keras does, so a run that validates later keeps one header. `append: true` continues a file
 * (a resumed run); without it an existing file is refused rather than replaced, since losskit
 * does not overwrite files it cannot tell it wrote.
 */
export class CsvLogger implements TrainerCallback {
  private readonly separator: string;
  private readonly append: boolean;
  private keys: string[] | undefined;
  private writeHeader = true;

  constructor(private readonly file: string, options: CsvLoggerOptions = {}) {
    checkKeys(options, ['separator', 'append'], 'CsvLogger');
    if (typeof file !== 'string' || file === '') throw new TrainerInputError('CsvLogger: give the path of the CSV file, e.g. new CsvLogger("runs/log.csv").');
    this.separator = options.separator ?? ',';
    if (typeof this.separator !== 'string' || this.separator.length !== 1 || /["\r\n]/.test(this.separator)) {
      throw new TrainerInputError(`CsvLogger: separator must be one character other than a quote or a line break (got ${JSON.stringify(options.separator)}).`);
    }
    this.append = options.append ?? false;
  }

  async onTrainBegin(): Promise<void> {
    this.keys = undefined;
    const existing = await stat(this.file).catch(() => undefined);
    if (existing && !existing.isFile()) throw new TrainerInputError(`CsvLogger: ${this.file} exists and is not a regular file.`);
    if (existing && !this.append) {
      throw new TrainerInputError(`CsvLogger: ${this.file} exists; pass append: true to continue it (a resumed run), or choose a new file name.`);
    }
    // Keras writes the header unless the file it appends to already has a first line.
    this.writeHeader = !existing || existing.size === 0;
  }

  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    if (!this.keys) {
      this.keys = Object.keys(logs).sort();
      if (this.keys.length && !this.keys.some((key) => key.startsWith('val_'))) this.keys.push(...this.keys.map((key) => `val_${key}`));
    }
    const lines: string[] = [];
    if (this.writeHeader) lines.push(['epoch', ...this.keys].map((cell) => this.quote(cell)).join(this.separator));
    this.writeHeader = false;
    lines.push([String(epoch), ...this.keys.map((key) => (key in logs ? String(logs[key]) : 'NA'))].map((cell) => this.quote(cell)).join(this.separator));
    // Opened for appending and closed per epoch: every finished epoch is on disk, even after a kill.
    const handle = await open(this.file, 'a');
    try {
      await handle.appendFile(`${lines.join('\r\n')}\r\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  /** Python's csv module (excel dialect): quote a cell holding the separator, a quote or a line break. */
  private quote(cell: string): string {
    return cell.includes(this.separator) || /["\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
  }
}
