import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMPLETED_STREAM, type StoredMessageInput } from '@spool/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Child, spawnChild } from './__tests__/child';
import { LOCK_FILE } from './data-dir-lock';
import { OnceMemoryBroker } from './outbox-test-brokers';
import { openPgliteStore } from './pglite-store';

// PGlite needs seconds of CPU to create a database, more on a loaded machine.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 60_000 });

let dir: string;
const children: Child[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'spool-pglite-'));
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const message: StoredMessageInput = {
  messageId: '1843563473929170944',
  channelId: 'general',
  channelType: 1,
  meta: { messageId: '1843563473929170944', channelId: 'general', channelType: 1, fromUid: 'ann' },
  text: 'kept across a crash 👋',
  lastChunkId: 3,
  reason: 'success',
  firstEventId: '1731900000000-0',
  lastEventId: '1731900000000-4',
  persistedAt: 1_731_900_000_123,
};

describe('openPgliteStore with a data directory', () => {
  it('keeps a message saved by a process killed before any relay ran, with its one completion record', async () => {
    const writer = spawnChild('./pglite-crash-child.ts', { DATA_DIR: dir, MESSAGE: JSON.stringify(message) });
    children.push(writer);
    await writer.line((l) => l === 'saved');
    // while the writer lives, the directory is its own
    await expect(openPgliteStore({ dataDir: dir })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringContaining(`process ${writer.proc.pid}`),
    });
    writer.proc.kill('SIGKILL');
    await writer.exited;

    // the dead writer's lock is taken over; the message and its outbox row are there
    const store = await openPgliteStore({ dataDir: dir });
    try {
      expect(store.kind).toBe('pglite');
      expect(await store.get(message.messageId)).toEqual(message);
      expect(await store.stats()).toMatchObject({ messages: 1, outboxBacklog: 1 });
      // a second store in this same process is refused too
      await expect(openPgliteStore({ dataDir: dir })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
      const broker = new OnceMemoryBroker();
      expect(await store.createRelay(broker).relayAll()).toMatchObject({ relayed: 1, duplicates: 0 });
      expect(await broker.xlen(COMPLETED_STREAM)).toBe(1);
    } finally {
      await store.close();
    }
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('fails with STORE_UNAVAILABLE when PGlite cannot start there, and frees the directory', async () => {
    writeFileSync(join(dir, 'pglite'), 'a file where the database folder should be');
    await expect(openPgliteStore({ dataDir: dir })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('rejects a bad data directory or schema before starting PGlite', async () => {
    await expect(openPgliteStore({ dataDir: '' })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(openPgliteStore({ dataDir: dir, schema: 'Nope' })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});
