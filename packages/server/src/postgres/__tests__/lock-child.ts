/**
 * Child process of data-dir-lock.test.ts: says "ready", waits for "go" on stdin (so that
 * several children race), tries to lock DATA_DIR, prints "locked" or the error code, then
 * holds the lock until stdin closes (or it is killed).
 */
import { createInterface } from 'node:readline';
import { isSpoolError } from '@spool/core';
import { DataDirLock } from '../data-dir-lock';

let lock: DataDirLock | undefined;
const input = createInterface({ input: process.stdin });
console.log('ready');
input.on('line', (line) => {
  if (line !== 'go' || lock) return;
  try {
    lock = DataDirLock.acquire(process.env['DATA_DIR']!);
    console.log('locked');
  } catch (err) {
    console.log(isSpoolError(err) ? err.code : String(err));
  }
});
input.on('close', () => {
  lock?.release();
  process.exit(0);
});
