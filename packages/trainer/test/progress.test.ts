import { expect } from 'chai';
import { createProgressCallback, type ProgressStream } from '@losskit/trainer/progress';

/** A writable that records what it is given; `isTTY` decides what `auto` picks. */
class RecordingStream implements ProgressStream {
  chunks: string[] = [];
  columns = 120;
  constructor(readonly isTTY: boolean) {}
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
}

/** Drives a callback through a fit of `epochs` epochs of `batches` batches with known logs. */
async function drive(callback: ReturnType<typeof createProgressCallback>, epochs: number, batches: number, initialEpoch = 0) {
  await callback.onTrainBegin({});
  for (let epoch = initialEpoch; epoch < epochs; epoch++) {
    await callback.onEpochBegin(epoch, {});
    for (let batch = 0; batch < batches; batch++) await callback.onBatchEnd(batch, { loss: 1 / (epoch + batch + 1), mae: 0.5 });
    await callback.onEpochEnd(epoch, { loss: 1 / (epoch + 1), mae: 0.25 / (epoch + 1), val_loss: 2 / (epoch + 1) });
  }
  await callback.onTrainEnd({});
}

const settings = { totalEpochs: 4, batchesPerEpoch: 5, samplesPerEpoch: 160 };

describe('progress callback', function () {
  it('writes one plain line per epoch when the stream is not a TTY (auto)', async () => {
    const stream = new RecordingStream(false);
    await drive(createProgressCallback('auto', { ...settings, stream }), 4, 5);
    const lines = stream.text.split('\n').filter(Boolean);
    expect(lines).to.have.length(4);
    lines.forEach((line, i) => {
      expect(line).to.match(new RegExp(`^Epoch ${i + 1}/4 - 5 batches - `));
      expect(line).to.include(`loss ${(1 / (i + 1)).toFixed(4)}`);
      expect(line).to.include(`mae ${(0.25 / (i + 1)).toFixed(4)}`);
      expect(line).to.include(`val_loss ${(2 / (i + 1)).toFixed(4)}`);
      expect(line).to.match(/ - [\d.]+ samples\/s - ETA \d+s$/);
      expect(line, 'no terminal control codes in plain output').not.to.match(/\x1b/);
    });
  });

  it('numbers epochs absolutely when a run resumes (initialEpoch)', async () => {
    const stream = new RecordingStream(false);
    await drive(createProgressCallback('lines', { ...settings, stream }), 4, 5, 2);
    expect(stream.text.split('\n').filter(Boolean).map((l) => l.slice(0, 9))).to.deep.equal(['Epoch 3/4', 'Epoch 4/4']);
  });

  it('prints nothing in silent mode, on a TTY or not', async () => {
    for (const isTTY of [true, false]) {
      const stream = new RecordingStream(isTTY);
      await drive(createProgressCallback('silent', { ...settings, stream }), 3, 4);
      expect(stream.chunks).to.deep.equal([]);
    }
  });

  it('draws a cli-progress bar with epoch, batches, loss, metrics, samples/s and ETA on a TTY (auto)', async () => {
    const stream = new RecordingStream(true);
    await drive(createProgressCallback('auto', { ...settings, stream }), 2, 5);
    const text = stream.text;
    expect(text, 'bar redraws use terminal control codes').to.match(/\x1b\[/);
    const plain = text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    expect(plain).to.match(/Epoch 1\/4 .*5\/5 \| loss 1\.0000 mae 0\.2500 val_loss 2\.0000 \| [\d.]+ samples\/s \| ETA /);
    expect(plain).to.match(/Epoch 2\/4 .*5\/5 \| loss 0\.5000 mae 0\.1250 val_loss 1\.0000/);
    expect(plain, 'the bar is drawn with block characters').to.match(/[█░]{10,}/);
  });

  it('rejects an unknown mode with the valid ones listed', () => {
    expect(() => createProgressCallback('fancy' as never, settings)).to.throw(/'auto', 'bar', 'lines' or 'silent'/);
  });
});

describe('progress callback with a dataset of unknown length', function () {
  it('counts batches itself and leaves samples/s out', async () => {
    const stream = new RecordingStream(false);
    await drive(createProgressCallback('lines', { totalEpochs: 2, batchesPerEpoch: 0, samplesPerEpoch: 0, stream }), 2, 3);
    const lines = stream.text.split('\n').filter(Boolean);
    expect(lines[0]).to.match(/^Epoch 1\/2 - 3 batches - loss 1\.0000/);
    expect(stream.text).not.to.include('samples/s');
    const bar = new RecordingStream(true);
    await drive(createProgressCallback('bar', { totalEpochs: 2, batchesPerEpoch: 0, samplesPerEpoch: 0, stream: bar }), 2, 3);
    expect(bar.text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')).to.match(/Epoch 2\/2 .*3\/3 \|/);
  });
});
