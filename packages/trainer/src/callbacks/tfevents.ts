import { crc32c } from '@aws-crypto/crc32c';

// TensorBoard event files: a sequence of TFRecords (tensorflow/core/lib/io/record_writer.cc),
// each holding one serialized `Event` protobuf (tensorflow/core/util/event.proto). Only the
// fields a scalar log needs are written: wall_time, step, file_version, summary.value{tag, simple_value}.

/** TFRecord's masked CRC32C: rotate right by 15 and add a constant, so CRCs of CRCs stay strong. */
export function maskedCrc32c(data: Uint8Array): number {
  const crc = crc32c(data) >>> 0;
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: uint64 length, masked CRC of the length, the data, masked CRC of the data (little-endian). */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

class ProtoWriter {
  private readonly parts: number[] = [];

  private varint(value: bigint): void {
    let v = BigInt.asUintN(64, value);
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v) byte |= 0x80;
      this.parts.push(byte);
    } while (v);
  }
  private key(field: number, wireType: number): void {
    this.varint(BigInt((field << 3) | wireType));
  }
  double(field: number, value: number): this {
    this.key(field, 1);
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value, true);
    this.parts.push(...bytes);
    return this;
  }
  float(field: number, value: number): this {
    this.key(field, 5);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.parts.push(...bytes);
    return this;
  }
  int64(field: number, value: number): this {
    this.key(field, 0);
    this.varint(BigInt(value));
    return this;
  }
  bytes(field: number, value: Uint8Array): this {
    this.key(field, 2);
    this.varint(BigInt(value.length));
    this.parts.push(...value);
    return this;
  }
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** The first event of every file: `file_version: "brain.Event:2"`. */
export function fileVersionEvent(wallTime: number): Uint8Array {
  return new ProtoWriter().double(1, wallTime).string(3, 'brain.Event:2').finish();
}

/** An event with scalar summaries (Summary.Value.simple_value), as tf.summary.scalar's v1 form. */
export function scalarEvent(wallTime: number, step: number, scalars: Record<string, number>): Uint8Array {
  const summary = new ProtoWriter();
  for (const [tag, value] of Object.entries(scalars)) summary.bytes(1, new ProtoWriter().string(1, tag).float(2, value).finish());
  return new ProtoWriter().double(1, wallTime).int64(2, step).bytes(5, summary.finish()).finish();
}
