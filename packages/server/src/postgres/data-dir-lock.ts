import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { SpoolError } from '@spool/core';

/** The lock file's name inside the data directory. */
export const LOCK_FILE = 'spool.lock';
const TAKEOVER_FILE = 'spool.lock.takeover';
/** An empty lock file older than this was left by a crash between create and write. */
const EMPTY_LOCK_STALE_MS = 10_000;

interface LockOwner {
  pid: number;
  host: string;
  token: string;
  since: string;
}

/**
 * Exclusive use of a data directory by one process: PGlite opens a directory without any
 * locking of its own, and two instances writing one directory corrupt it.
 *
 * The lock is a file created with `O_CREAT | O_EXCL` (atomic on local file systems)
 * holding the owner's pid, host and a random token. A lock whose owner is alive on this
 * host (signal 0 reaches it) refuses the directory, whoever the owner is, this process
 * included. A lock left by a dead process (a crash, SIGKILL) is taken over; only one
 * process may take over at a time (a second exclusive file guards it), and it removes the
 * stale lock only if it still holds what it read as stale, so two processes racing for a
 * stale lock never both get it.
 *
 * @example
 * const lock = DataDirLock.acquire('/var/lib/spool');
 * try { ... } finally { lock.release(); }
 */
export class DataDirLock {
  /** The data directory locked. */
  readonly path: string;
  readonly #owner: LockOwner;
  #held = true;

  private constructor(path: string, owner: LockOwner) {
    this.path = path;
    this.#owner = owner;
  }

  /**
   * Locks `dir` (created if absent) for this process.
   *
   * @throws SpoolError `INVALID_OPTION` when another live process, or this one, holds it.
   */
  static acquire(dir: string): DataDirLock {
    if (typeof dir !== 'string' || dir === '')
      throw new SpoolError('INVALID_OPTION', '`dataDir` must be a directory path.');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, LOCK_FILE);
    const owner: LockOwner = {
      pid: process.pid,
      host: hostname(),
      token: randomUUID(),
      since: new Date().toISOString(),
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      if (createExclusive(path, owner)) return new DataDirLock(path, owner);
      const text = readIfExists(path);
      if (text === undefined) continue; // released in between: try again
      const holder = parseOwner(text);
      if (holder && isAlive(holder)) throw inUse(dir, holder);
      // Empty: being written this very moment, or cut short by a crash long ago.
      if (!holder && text === '' && Date.now() - mtimeMs(path) < EMPTY_LOCK_STALE_MS)
        throw inUse(dir, undefined);
      takeOverStale(dir, path, text);
    }
    throw inUse(dir, undefined);
  }

  /** Removes the lock file, if it is still this lock's. */
  release(): void {
    if (!this.#held) return;
    this.#held = false;
    const text = readIfExists(this.path);
    if (text !== undefined && parseOwner(text)?.token === this.#owner.token) unlinkIfExists(this.path);
  }
}

/** One step of {@link DataDirLock.acquire}, exported for the test of its interleavings. @internal */
export function takeOverStale(dir: string, path: string, staleText: string): void {
  const guard = join(dir, TAKEOVER_FILE);
  const me: LockOwner = {
    pid: process.pid,
    host: hostname(),
    token: randomUUID(),
    since: new Date().toISOString(),
  };
  if (!createExclusive(guard, me)) {
    const text = readIfExists(guard);
    const holder = text === undefined ? undefined : parseOwner(text);
    // A takeover that died half-way leaves its guard behind; any other one is in progress.
    if (holder && !isAlive(holder)) unlinkIfExists(guard);
    else if (text !== undefined) throw inUse(dir, holder);
    return;
  }
  try {
    if (readIfExists(path) === staleText) unlinkIfExists(path);
  } finally {
    unlinkIfExists(guard);
  }
}

function createExclusive(path: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new SpoolError('INVALID_OPTION', `Cannot create ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    writeSync(fd, JSON.stringify(owner));
  } finally {
    closeSync(fd);
  }
  return true;
}

function isAlive(owner: LockOwner): boolean {
  // A pid means nothing on another host (a shared network file system): count it alive.
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (Number.isSafeInteger(o.pid) && typeof o.host === 'string' && typeof o.token === 'string')
      return o as LockOwner;
  } catch {
    // not ours, or cut short by a crash while it was written: stale
  }
  return undefined;
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SpoolError('INVALID_OPTION', `Cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function mtimeMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}

function unlinkIfExists(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

function inUse(dir: string, holder: LockOwner | undefined): SpoolError {
  const who = holder
    ? `process ${holder.pid} on ${holder.host}${holder.pid === process.pid && holder.host === hostname() ? ' (this process)' : ''}, since ${holder.since}`
    : 'another process';
  return new SpoolError(
    'INVALID_OPTION',
    `The data directory ${dir} is in use by ${who}. Stop that process, or give another directory; if no process uses it, delete ${join(dir, LOCK_FILE)}.`,
  );
}
