/** Display formatting shared by the views; figures stay exact in `title`s and data attributes. */

const byteUnits = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/**
 * `1536` → `"1.5 KiB"`.
 *
 * @example formatBytes(100 * 2 ** 20) // "100 MiB"
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < byteUnits.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 || Number.isInteger(value) ? 0 : 1;
  return `${value.toFixed(digits)} ${byteUnits[unit]}`;
}

/**
 * A short human duration: `950` → `"950 ms"`, `61_000` → `"1m 1s"`.
 *
 * @example formatDuration(3_600_000) // "1h 0m"
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  const abs = Math.max(0, Math.round(ms));
  if (abs < 1000) return `${abs} ms`;
  const s = Math.floor(abs / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/**
 * Events per second with sensible precision.
 *
 * @example formatRate(12.345) // "12.3"
 */
export function formatRate(perSec: number): string {
  if (!Number.isFinite(perSec)) return '–';
  if (perSec >= 100) return Math.round(perSec).toLocaleString('en-US');
  return perSec.toFixed(1);
}

/** `12345` → `"12,345"`. */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US') : '–';
}

/** A count with its noun, singular for exactly one: `1 entry`, `3 entries`. */
export function formatCountOf(n: number, singular: string, plural = `${singular}s`): string {
  return `${formatCount(n)} ${n === 1 ? singular : plural}`;
}
