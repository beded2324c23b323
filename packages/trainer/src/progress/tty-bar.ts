import cliProgress from 'cli-progress';
import { EpochClock } from './epoch-clock.js';
import { formatLogs, formatRate } from './format.js';
import type { ProgressCallback, ProgressSettings, ProgressStream } from './progress-callback.js';

// Node only: reached through the package import '#tty-bar' (see package.json "imports"), which
// browsers resolve to no-tty-bar.ts, so cli-progress (readline, events) is never bundled there.

/** A cli-progress bar per epoch, each finished epoch's line kept (like Keras). */
export function ttyBarProgress(settings: ProgressSettings, stream: ProgressStream): ProgressCallback {
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
