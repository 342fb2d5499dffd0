import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Child, spawnChild } from './__tests__/child';
import { DataDirLock, LOCK_FILE, takeOverStale } from './data-dir-lock';

let dir: string;
const children: Child[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'spool-lock-'));
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** A pid that no process has any more: a child that has exited. */
async function deadPid(): Promise<number> {
  const proc = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => proc.once('exit', resolve));
  return proc.pid!;
}

function staleLock(content: string): void {
  writeFileSync(join(dir, LOCK_FILE), content);
}

/** A lock file as a process on this host writes it. */
function lockOf(pid: number): string {
  return JSON.stringify({ pid, host: hostname(), token: 'old', since: 'then' });
}

describe('DataDirLock', () => {
  it('locks a directory (creating it), and frees it on release', () => {
    const nested = join(dir, 'a', 'b');
    const lock = DataDirLock.acquire(nested);
    expect(JSON.parse(readFileSync(join(nested, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
    expect(existsSync(join(nested, LOCK_FILE))).toBe(false);
    DataDirLock.acquire(nested).release();
  });

  it('refuses a directory this process already holds, naming the holder', () => {
    const lock = DataDirLock.acquire(dir);
    expect(() => DataDirLock.acquire(dir)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('(this process)') }),
    );
    lock.release();
  });

  it('refuses a directory another live process holds, and takes it over once that process is gone', async () => {
    const holder = spawnChild('./lock-child.ts', { DATA_DIR: dir });
    children.push(holder);
    await holder.line((l) => l === 'ready');
    holder.send('go');
    expect(await holder.line()).toBe('locked');
    expect(() => DataDirLock.acquire(dir)).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTION',
        message: expect.stringContaining(`process ${holder.proc.pid}`),
      }),
    );
    holder.proc.kill('SIGKILL');
    await holder.exited;
    const lock = DataDirLock.acquire(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
    lock.release();
  });

  it('takes over a lock left by a dead process, or one that is garbage', async () => {
    staleLock(lockOf(await deadPid()));
    DataDirLock.acquire(dir).release();
    staleLock('{"not json');
    DataDirLock.acquire(dir).release();
  });

  it('treats an empty lock file as being written unless it is old', () => {
    staleLock('');
    expect(() => DataDirLock.acquire(dir)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, LOCK_FILE), old, old);
    DataDirLock.acquire(dir).release();
  });

  it('refuses a lock held by a process on another host (its pid cannot be checked from here)', () => {
    staleLock(JSON.stringify({ pid: 1, host: 'some-other-host', token: 't', since: 's' }));
    expect(() => DataDirLock.acquire(dir)).toThrow(
      expect.objectContaining({
        code: 'INVALID_OPTION',
        message: expect.stringContaining('some-other-host'),
      }),
    );
  });

  it('gives a stale lock to exactly one of several processes racing for it', async () => {
    staleLock(lockOf(await deadPid()));
    const racers = [0, 1, 2, 3].map(() => spawnChild('./lock-child.ts', { DATA_DIR: dir }));
    children.push(...racers);
    for (const c of racers) await c.line((l) => l === 'ready');
    for (const c of racers) c.send('go');
    const outcomes = await Promise.all(racers.map((c) => c.line()));
    expect(outcomes.filter((o) => o === 'locked')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'INVALID_OPTION')).toHaveLength(3);
  });

  it('never removes a fresh lock for a racer that read the stale one before it was taken over', async () => {
    const stale = lockOf(await deadPid());
    staleLock(stale);
    // this process takes the stale lock over first...
    const winner = DataDirLock.acquire(dir);
    const fresh = readFileSync(join(dir, LOCK_FILE), 'utf8');
    // ...and a slower racer, which read the stale content before, now tries to remove it
    takeOverStale(dir, join(dir, LOCK_FILE), stale);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(fresh);
    expect(() => DataDirLock.acquire(dir)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION' }));
    winner.release();
  });

  it('lets one takeover run at a time, and clears the guard a dead takeover left', async () => {
    const stale = lockOf(await deadPid());
    staleLock(stale);
    writeFileSync(join(dir, 'spool.lock.takeover'), lockOf(process.pid));
    expect(() => takeOverStale(dir, join(dir, LOCK_FILE), stale)).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION' }),
    );
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(stale);
    writeFileSync(join(dir, 'spool.lock.takeover'), lockOf(await deadPid()));
    DataDirLock.acquire(dir).release();
    expect(existsSync(join(dir, 'spool.lock.takeover'))).toBe(false);
  });

  it('release leaves alone a lock that is no longer its own', () => {
    const lock = DataDirLock.acquire(dir);
    const foreign = JSON.stringify({ pid: process.pid, host: 'h', token: 'someone-else', since: 's' });
    writeFileSync(join(dir, LOCK_FILE), foreign);
    lock.release();
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(foreign);
  });
});
