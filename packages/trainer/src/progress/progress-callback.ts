import type * as tf from '@tensorflow/tfjs';
import cliProgress from 'cli-progress';
import { TrainerInputError } from '../errors.js';
import { formatDuration, formatLogs, formatRate } from './format.js';

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'silent';

/** Where progress goes; a TTY (`isTTY: true`) gets a live bar in `auto` mode. */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressSettings {
  /** The fit's `epochs` (TF.js counts absolute epochs, so a resumed run shows 8/10, not 1/3). */
  totalEpochs: number;
  /** 0 when unknown (a tf.data.Dataset): the count seen in the first epoch is used from then on. */
  batchesPerEpoch: number;
  /** 0 when unknown: samples/s is then left out. */
  samplesPerEpoch: number;
  /** Default: process.stderr, so progress never mixes with a program's data on stdout. */
  stream?: ProgressStream;
}

/** A tfjs-style callback object; every method is safe to await. */
export interface ProgressCallback {
  onTrainBegin(logs?: tf.Logs): Promise<void>;
  onEpochBegin(epoch: number, logs?: tf.Logs): Promise<void>;
  onBatchEnd(batch: number, logs?: tf.Logs): Promise<void>;
  onEpochEnd(epoch: number, logs?: tf.Logs): Promise<void>;
  onTrainEnd(logs?: tf.Logs): Promise<void>;
}

/**
 * Progress reporting for fit: a live bar (cli-progress) on a terminal, one plain line per epoch
 * elsewhere (logs, CI), nothing when silent. `auto` picks bar or lines by `stream.isTTY`.
 *
 *     callbacks: [createProgressCallback('auto', { totalEpochs: 10, batchesPerEpoch: 32, samplesPerEpoch: 1000 })]
 */
export function createProgressCallback(mode: ProgressMode, settings: ProgressSettings): ProgressCallback {
  const stream = settings.stream ?? process.stderr;
  const resolved = mode === 'auto' ? (stream.isTTY ? 'bar' : 'lines') : mode;
  switch (resolved) {
    case 'silent':
      return silentProgress();
    case 'lines':
      return lineProgress(settings, stream);
    case 'bar':
      return barProgress(settings, stream);
    default:
      throw new TrainerInputError(`progress must be 'auto', 'bar', 'lines' or 'silent' (got ${JSON.stringify(mode)}).`);
  }
}

function silentProgress(): ProgressCallback {
  const nothing = async () => {};
  return { onTrainBegin: nothing, onEpochBegin: nothing, onBatchEnd: nothing, onEpochEnd: nothing, onTrainEnd: nothing };
}

/** Elapsed-time bookkeeping both renderers share. */
class EpochClock {
  private trainStart = 0;
  private epochStart = 0;
  private epochsDone = 0;

  startTraining(): void {
    this.trainStart = performance.now();
  }
  startEpoch(): void {
    this.epochStart = performance.now();
  }
  /** Seconds since the epoch began. */
  epochSeconds(): number {
    return (performance.now() - this.epochStart) / 1000;
  }
  /** Seconds left in the run, extrapolated from the epochs this fit has finished. */
  finishEpoch(epochsLeft: number): number {
    this.epochsDone += 1;
    const perEpoch = (performance.now() - this.trainStart) / 1000 / this.epochsDone;
    return perEpoch * epochsLeft;
  }
}

function lineProgress(settings: ProgressSettings, stream: ProgressStream): ProgressCallback {
  const clock = new EpochClock();
  let batches = 0;
  return {
    async onTrainBegin() {
      clock.startTraining();
    },
    async onEpochBegin() {
      clock.startEpoch();
      batches = 0;
    },
    async onBatchEnd() {
      batches++;
    },
    async onEpochEnd(epoch, logs = {}) {
      const seconds = clock.epochSeconds();
      const eta = clock.finishEpoch(settings.totalEpochs - (epoch + 1));
      const parts = [
        `Epoch ${epoch + 1}/${settings.totalEpochs}`,
        `${batches || settings.batchesPerEpoch} batches`,
        ...formatLogs(logs),
        ...(settings.samplesPerEpoch ? [`${formatRate(settings.samplesPerEpoch, seconds)} samples/s`] : []),
        `ETA ${formatDuration(eta)}`,
      ];
      stream.write(`${parts.join(' - ')}\n`);
    },
    async onTrainEnd() {},
  };
}

function barProgress(settings: ProgressSettings, stream: ProgressStream): ProgressCallback {
  const clock = new EpochClock();
  const bar = new cliProgress.SingleBar(
    {
      stream: stream as NodeJS.WritableStream,
      format: 'Epoch {epoch}/{epochs} {bar} {value}/{total} | {logs} | {speed} samples/s | ETA {eta_formatted}',
      barsize: 24,
      hideCursor: false,
      // Each epoch keeps its finished line, like Keras; the next epoch starts a new bar below it.
      clearOnComplete: false,
      stopOnComplete: false,
      etaBuffer: Math.max(10, settings.batchesPerEpoch),
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let batchesPerEpoch = settings.batchesPerEpoch;
  const samplesPerBatch = () => settings.samplesPerEpoch / Math.max(1, batchesPerEpoch);
  let epochNumber = 0;
  let latest = '';
  const payload = (batchesDone: number) => ({
    epoch: epochNumber,
    epochs: settings.totalEpochs,
    logs: latest || 'loss -',
    speed: settings.samplesPerEpoch ? formatRate(batchesDone * samplesPerBatch(), clock.epochSeconds()) : '-',
  });
  return {
    async onTrainBegin() {
      clock.startTraining();
    },
    async onEpochBegin(epoch) {
      clock.startEpoch();
      epochNumber = epoch + 1;
      bar.start(Math.max(1, batchesPerEpoch), 0, payload(0));
    },
    async onBatchEnd(batch, logs = {}) {
      latest = formatLogs(logs, ['batch', 'size']).join(' ') || latest;
      // A dataset's length is unknown until its first epoch ends; let the bar grow until then.
      if (batch + 1 > bar.getTotal()) bar.setTotal(batch + 1);
      bar.update(batch + 1, payload(batch + 1));
    },
    async onEpochEnd(epoch, logs = {}) {
      latest = formatLogs(logs).join(' ');
      clock.finishEpoch(settings.totalEpochs - (epoch + 1));
      batchesPerEpoch = bar.getTotal();
      bar.update(batchesPerEpoch, payload(batchesPerEpoch));
      bar.stop();
    },
    async onTrainEnd() {
      // A fit that threw mid-epoch must not leave the bar's redraw timer holding the process open.
      bar.stop();
    },
  };
}
