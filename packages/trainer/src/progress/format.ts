/** `loss 0.1234`, `val_loss 0.2000`, ... in log order; non-numbers (tensors not yet read) are skipped. */
export function formatLogs(logs: Record<string, unknown>, skip: readonly string[] = []): string[] {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(logs)) {
    if (skip.includes(key) || typeof value !== 'number') continue;
    parts.push(`${key} ${formatNumber(value)}`);
  }
  return parts;
}

/** Four significant digits, switching to exponent form for very small or large losses. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e5)) return value.toExponential(3);
  return value.toFixed(4);
}

export function formatRate(samples: number, seconds: number): string {
  if (seconds <= 0) return '-';
  const rate = samples / seconds;
  return rate >= 100 ? String(Math.round(rate)) : rate.toFixed(1);
}

/** `1h02m`, `3m05s`, `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}
