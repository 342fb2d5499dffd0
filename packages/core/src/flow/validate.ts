import { SpoolError } from '../errors';

/**
 * Eager option checks shared by flow/ and pipeline/. Each throws `INVALID_OPTION` with a
 * message that names the option, the rule and the value received, so the fix is obvious.
 */
export function requireInteger(
  name: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
    throw new SpoolError(
      'INVALID_OPTION',
      `\`${name}\` must be an integer ${range}, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** A finite number >= `min` (durations may be fractional). */
export function requireNumber(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new SpoolError(
      'INVALID_OPTION',
      `\`${name}\` must be a finite number >= ${min}, got ${describeValue(value)}`,
    );
  }
  return value;
}

export function requireFunction<F>(name: string, value: unknown): F {
  if (typeof value !== 'function') {
    throw new SpoolError('INVALID_OPTION', `\`${name}\` must be a function, got ${describeValue(value)}`);
  }
  return value as F;
}

export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}
