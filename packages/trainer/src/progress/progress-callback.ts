import type * as tf from '@tensorflow/tfjs';
import { TrainerInputError } from '../errors.js';
import { stderrStream, type LineStream } from '../logger.js';
import { EpochClock } from './epoch-clock.js';
import { formatDuration, formatLogs, formatRate } from './format.js';

export type ProgressMode = 'auto' | 'bar' | 'lines' | 'silent';

/** Where progress goes; a TTY (`isTTY: true`) gets a live bar in `auto` mode. */
export type ProgressStream = LineStream;

export interface ProgressSettings {
  /** The fit's `epochs` (TF.js counts absolute epochs, so a resumed run shows 8/10, not 1/3). */
  totalEpochs: number;
  /** 0 when unknown (a tf.data.Dataset): the count seen in the first epoch is used from then on. */
  batchesPerEpoch: number;
  /** 0 when unknown: samples/s is then left out. */
  samplesPerEpoch: number;
  /** Default: Node's stderr, so progress never mixes with a program's data on stdout; the console in a browser. */
  stream?: ProgressStream;
}

/** A tfjs-style callback object; every method is safe to await. */
export interface ProgressCallback {
  onTrainBegin(logs?: tf.Logs): Promise<void>;
  onEpochBegin(epoch: number, logs?: tf.Logs): Promise<void>;
  onBatchEnd(batch: number, logs?: tf.Logs): Promise<void>;
  onEpochEnd(epoch: number, logs?: tf.Logs): Promise<void>;
  onTrainEnd(logs?: tf.Logs): Promise<void>;
  /** True where onBatchEnd only counts batches (lines, silent): see TrainerCallback.countsBatchesOnly. */
  countsBatchesOnly?: boolean;
}

/**
 * Progress reporting for fit: a live bar (cli-progress) on a terminal, one plain line per epoch
 * elsewhere (logs, CI), nothing when silent. `auto` picks bar or lines by `stream.isTTY`.
 *
 *     callbacks: [createProgressCallback('auto', { totalEpochs: 10, batchesPerEpoch: 32, samplesPerEpoch: 1000 })]
 */
export function createProgressCallback(mode: ProgressMode, settings: ProgressSettings): ProgressCallback {
  const stream = settings.stream ?? stderrStream();
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
  return { onTrainBegin: nothing, onEpochBegin: nothing, onBatchEnd: nothing, onEpochEnd: nothing, onTrainEnd: nothing, countsBatchesOnly: true };
}

function lineProgress(settings: ProgressSettings, stream: ProgressStream): ProgressCallback {
  const clock = new EpochClock();
  let batches = 0;
  return {
    countsBatchesOnly: true,
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

/**
 * A live bar on a terminal. cli-progress (Node's readline and events) is loaded on the first
 * callback through '#tty-bar', which outside Node resolves to a module without a bar: there a
 * 'bar' request prints lines instead.
 */
function barProgress(settings: ProgressSettings, stream: ProgressStream): ProgressCallback {
  let inner: Promise<ProgressCallback> | undefined;
  const target = () =>
    (inner ??= import('#tty-bar').then(({ ttyBarProgress }) => ttyBarProgress?.(settings, stream) ?? lineProgress(settings, stream)));
  return {
    onTrainBegin: async (logs) => (await target()).onTrainBegin(logs),
    onEpochBegin: async (epoch, logs) => (await target()).onEpochBegin(epoch, logs),
    onBatchEnd: async (batch, logs) => (await target()).onBatchEnd(batch, logs),
    onEpochEnd: async (epoch, logs) => (await target()).onEpochEnd(epoch, logs),
    onTrainEnd: async (logs) => (await target()).onTrainEnd(logs),
  };
}
