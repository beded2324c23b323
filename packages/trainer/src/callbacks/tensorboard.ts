import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { TrainerInputError } from '../errors.js';
import type { Logs, TrainerCallback } from '../fit/callbacks.js';
import { checkKeys } from './monitor.js';
import { fileVersionEvent, scalarEvent, tfRecord } from './tfevents.js';

export interface TensorBoardOptions {
  /** Also log each batch's values (tags `batch_<key>`, step = batches seen); default false. */
  batches?: boolean;
}

let fileCounter = 0;

/**
 * Writes the epoch logs as TensorBoard scalars, laid out as Keras's `TensorBoard` callback does:
 * `<logDir>/train` holds `epoch_<key>`, `<logDir>/validation` holds the `val_` keys under the
 * same tags, so TensorBoard draws training and validation on one chart. Each fit writes new
 * event files (the name holds time, host, process and a counter), never touching others.
 */
export class TensorBoard implements TrainerCallback {
  private readonly logBatches: boolean;
  private train: FileHandle | undefined;
  private validation: FileHandle | undefined;
  private batchStep = 0;

  constructor(private readonly logDir: string, options: TensorBoardOptions = {}) {
    checkKeys(options, ['batches'], 'TensorBoard');
    if (typeof logDir !== 'string' || logDir === '') throw new TrainerInputError('TensorBoard: give a log directory, e.g. new TensorBoard("runs/tb").');
    this.logBatches = options.batches ?? false;
    if (this.logBatches) this.onBatchEnd = (_batch, logs) => this.write('train', this.batchStep++, prefixed(logs ?? {}, 'batch_'));
  }

  onBatchEnd?: (batch: number, logs?: Logs) => Promise<void>;

  async onTrainBegin(): Promise<void> {
    await this.close();
  }

  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    const train: Logs = {};
    const validation: Logs = {};
    for (const [key, value] of Object.entries(logs)) {
      if (key.startsWith('val_')) validation[`epoch_${key.slice(4)}`] = value;
      else train[`epoch_${key}`] = value;
    }
    if (Object.keys(train).length) await this.write('train', epoch, train);
    if (Object.keys(validation).length) await this.write('validation', epoch, validation);
  }

  async onTrainEnd(): Promise<void> {
    await this.close();
  }

  private async write(run: 'train' | 'validation', step: number, scalars: Logs): Promise<void> {
    const handle = (run === 'train' ? this.train : this.validation) ?? (await this.openRun(run));
    await handle.write(tfRecord(scalarEvent(Date.now() / 1000, step, scalars)));
    await handle.datasync();
  }

  private async openRun(run: 'train' | 'validation'): Promise<FileHandle> {
    const dir = path.join(this.logDir, run);
    await mkdir(dir, { recursive: true });
    const now = Date.now() / 1000;
    const name = `events.out.tfevents.${Math.floor(now)}.${hostname()}.${process.pid}.${fileCounter++}.v2`;
    // 'wx': a new file only; an existing one (the same name cannot recur in a process) is never replaced.
    const handle = await open(path.join(dir, name), 'wx');
    await handle.write(tfRecord(fileVersionEvent(now)));
    if (run === 'train') this.train = handle;
    else this.validation = handle;
    return handle;
  }

  private async close(): Promise<void> {
    for (const handle of [this.train, this.validation]) await handle?.close();
    this.train = undefined;
    this.validation = undefined;
  }
}

function prefixed(logs: Logs, prefix: string): Logs {
  return Object.fromEntries(Object.entries(logs).map(([key, value]) => [`${prefix}${key}`, value]));
}
