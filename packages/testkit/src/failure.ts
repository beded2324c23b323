import { LossKitError } from '@losskit/core';

/** One failed expectation inside a check; its message says what the plugin must change. */
export class CheckFailure extends LossKitError {}

export function fail(message: string): never {
  throw new CheckFailure(message);
}

/** |actual - expected| <= atol + rtol * |expected|, elementwise; reports the worst element. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: { rtol: number; atol: number },
  what: string,
): void {
  if (actual.length !== expected.length) {
    fail(`${what}: expected ${expected.length} values, got ${actual.length}.`);
  }
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const ok = a === e || Math.abs(a - e) <= tolerance.atol + tolerance.rtol * Math.abs(e);
    if (!ok) {
      fail(`${what}: value ${i} is ${a}, expected ${e} (rtol ${tolerance.rtol}, atol ${tolerance.atol}).`);
    }
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === b[i]);
}

export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
