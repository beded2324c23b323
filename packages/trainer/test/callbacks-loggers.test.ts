import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CsvLogger, SaveBest, TensorBoard, Trainer, TrainerInputError } from '@losskit/trainer';
import { seedModel, silent, uniform } from './trainer-helpers.js';

// An event-file reader written from the TFRecord and protobuf specifications, sharing no code
// with the writer: its own CRC32C (bitwise, Castagnoli polynomial) and its own wire decoder.
function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
const masked = (bytes: Uint8Array) => {
  const c = crc32c(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
};

type Field = { field: number; wire: number; value: bigint | Uint8Array | DataView };
function decode(bytes: Uint8Array): Field[] {
  const fields: Field[] = [];
  let i = 0;
  const varint = () => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = bytes[i++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
  };
  while (i < bytes.length) {
    const key = Number(varint());
    const wire = key & 7;
    if (wire === 0) fields.push({ field: key >> 3, wire, value: varint() });
    else if (wire === 1 || wire === 5) {
      const size = wire === 1 ? 8 : 4;
      fields.push({ field: key >> 3, wire, value: new DataView(bytes.buffer, bytes.byteOffset + i, size) });
      i += size;
    } else if (wire === 2) {
      const size = Number(varint());
      fields.push({ field: key >> 3, wire, value: bytes.subarray(i, i + size) });
      i += size;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return fields;
}

interface ReadEvent { wallTime: number; step: number; fileVersion?: string; scalars: Record<string, number> }
function readEvents(file: Buffer): ReadEvent[] {
  const bytes = new Uint8Array(file.buffer, file.byteOffset, file.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const events: ReadEvent[] = [];
  for (let at = 0; at < bytes.length; ) {
    const length = Number(view.getBigUint64(at, true));
    expect(view.getUint32(at + 8, true), 'length crc').to.equal(masked(bytes.subarray(at, at + 8)));
    const data = bytes.subarray(at + 12, at + 12 + length);
    expect(view.getUint32(at + 12 + length, true), 'data crc').to.equal(masked(data));
    at += 16 + length;
    const event: ReadEvent = { wallTime: NaN, step: 0, scalars: {} };
    for (const f of decode(data)) {
      if (f.field === 1) event.wallTime = (f.value as DataView).getFloat64(0, true);
      if (f.field === 2) event.step = Number(f.value as bigint);
      if (f.field === 3) event.fileVersion = new TextDecoder().decode(f.value as Uint8Array);
      if (f.field === 5) {
        for (const v of decode(f.value as Uint8Array).filter((x) => x.field === 1)) {
          const parts = decode(v.value as Uint8Array);
          const tag = new TextDecoder().decode(parts.find((p) => p.field === 1)!.value as Uint8Array);
          event.scalars[tag] = (parts.find((p) => p.field === 2)!.value as DataView).getFloat32(0, true);
        }
      }
    }
    events.push(event);
  }
  return events;
}

/** The error a promise rejects with (undefined if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('trainer: CSV and TensorBoard loggers, SaveBest', () => {
  let dir: string;
  let x: tf.Tensor;
  let y: tf.Tensor;
  const validationData = () => [x, y] as const;
  before(async () => {
    await tf.setBackend('cpu');
    x = uniform([24, 8], 5);
    y = uniform([24, 2], 6);
  });
  after(() => tf.dispose([x, y]));
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'losskit-loggers-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const trainer = () => new Trainer({ model: seedModel(4, 8, 6, 2, 'linear'), optimizer: 'adam', loss: 'mean-squared-error', metrics: ['mae'], ...silent });

  it('CsvLogger writes Keras columns (epoch, sorted keys) and appends a resumed run under one header', async () => {
    const file = path.join(dir, 'log.csv');
    const t = trainer();
    const first = await t.fit(x, y, { epochs: 2, batchSize: 8, validationData: validationData(), callbacks: new CsvLogger(file) });
    const second = await t.fit(x, y, { epochs: 4, initialEpoch: 2, batchSize: 8, validationData: validationData(), callbacks: new CsvLogger(file, { append: true }) });
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\r\n');
    const keys = Object.keys(first.history).sort();
    expect(lines[0]).to.equal(['epoch', ...keys].join(','));
    expect(lines).to.have.length(5);
    const rows = lines.slice(1).map((line) => line.split(',').map(Number));
    const all = [first, second];
    rows.forEach((row, r) => {
      const history = all[r < 2 ? 0 : 1]!.history;
      expect(row[0]).to.equal(r);
      keys.forEach((key, k) => expect(row[k + 1]).to.equal(history[key]![r % 2]));
    });
    // Without append, an existing file is refused, never replaced.
    const before = await readFile(file, 'utf8');
    const error = await rejection(t.fit(x, y, { epochs: 1, batchSize: 8, callbacks: new CsvLogger(file) }));
    expect(error).to.be.instanceOf(TrainerInputError);
    expect((error as Error).message).to.match(/exists; pass append: true/);
    expect(await readFile(file, 'utf8')).to.equal(before);
    t.dispose();
  });

  it('CsvLogger without validation adds val_ columns holding NA, as Keras does', async () => {
    const file = path.join(dir, 'log.csv');
    const t = trainer();
    const { history } = await t.fit(x, y, { epochs: 1, batchSize: 8, callbacks: new CsvLogger(file, { separator: ';' }) });
    const [header, row] = (await readFile(file, 'utf8')).trimEnd().split('\r\n');
    const keys = Object.keys(history).sort();
    expect(header).to.equal(['epoch', ...keys, ...keys.map((k) => `val_${k}`)].join(';'));
    expect(row!.split(';').slice(1 + keys.length)).to.deep.equal(keys.map(() => 'NA'));
    t.dispose();
  });

  it('TensorBoard writes train/ and validation/ event files that an independent reader parses back', async () => {
    const t = trainer();
    const { history } = await t.fit(x, y, { epochs: 3, batchSize: 8, validationData: validationData(), callbacks: new TensorBoard(dir) });
    for (const [run, prefix] of [['train', ''], ['validation', 'val_']] as const) {
      const files = await readdir(path.join(dir, run));
      expect(files).to.have.length(1);
      expect(files[0]).to.match(/^events\.out\.tfevents\.\d+\..+\.\d+\.\d+\.v2$/);
      const events = readEvents(await readFile(path.join(dir, run, files[0]!)));
      expect(events[0]!.fileVersion).to.equal('brain.Event:2');
      expect(events.slice(1).map((e) => e.step)).to.deep.equal([0, 1, 2]);
      for (const key of ['loss', 'mae']) {
        expect(events.slice(1).map((e) => e.scalars[`epoch_${key}`])).to.deep.equal(history[`${prefix}${key}`]!.map(Math.fround));
      }
      expect(Math.abs(events[1]!.wallTime - Date.now() / 1000)).to.be.below(60);
    }
    t.dispose();
  });

  it('SaveBest keeps the trainer of the best epoch; loading it reproduces that val_loss', async () => {
    const t = trainer();
    const best = new SaveBest(t, { dir: path.join(dir, 'best'), monitor: 'val_loss' });
    const { history } = await t.fit(x, y, { epochs: 5, batchSize: 8, validationData: validationData(), callbacks: best });
    const losses = history.val_loss!;
    const bestEpoch = losses.indexOf(Math.min(...losses));
    expect(best.bestEpoch).to.equal(bestEpoch);
    const loaded = await Trainer.load(path.join(dir, 'best'), silent);
    const logs = await loaded.evaluate(x, y, { batchSize: 8 });
    expect(logs.loss).to.be.closeTo(losses[bestEpoch]!, 1e-6);
    expect(loaded.epochsCompleted).to.equal(bestEpoch + 1);
    // mode 'max' on a loss keeps the worst epoch instead: the mode is honoured.
    const worst = new SaveBest(t, { dir: path.join(dir, 'worst'), monitor: 'val_loss', mode: 'max' });
    const more = await t.fit(x, y, { epochs: 8, initialEpoch: 5, batchSize: 8, validationData: validationData(), callbacks: worst });
    expect(worst.bestEpoch).to.equal(5 + more.history.val_loss!.indexOf(Math.max(...more.history.val_loss!)));
    expect(() => new SaveBest(t, { dir, monitr: 'loss' } as never)).to.throw(TrainerInputError, /unknown option 'monitr' \(did you mean 'monitor'\?\)/);
    for (const tr of [t, loaded]) tr.dispose();
    loaded.model.dispose();
    loaded.optimizer.dispose();
  });

  it('a file that is not ours stays untouched: CsvLogger refuses it without append', async () => {
    const file = path.join(dir, 'notes.csv');
    await writeFile(file, 'precious\n');
    expect(() => new CsvLogger(file, { separator: '"' })).to.throw(TrainerInputError, /separator/);
    const t = trainer();
    const error = await rejection(t.fit(x, y, { epochs: 1, batchSize: 8, callbacks: new CsvLogger(file) }));
    expect(error).to.be.instanceOf(TrainerInputError);
    expect(await readFile(file, 'utf8')).to.equal('precious\n');
    t.dispose();
  });
});
