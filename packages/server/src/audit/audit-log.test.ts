import { createManualClock } from '@spool/core';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createSpoolInstance } from '../spool';
import { AuditLog } from './audit-log';

const ADMIN = 'audit-admin-token-1';
const USER = 'audit-user-token-01';

/** A pino logger whose lines land in `lines`, parsed. */
function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe('AuditLog', () => {
  it('logs each action with its principal and keeps the most recent ones, newest first', () => {
    const { logger, lines } = capture();
    const clock = createManualClock(1000);
    const audit = new AuditLog(logger, clock, 2);
    const who = { id: 'jwt:ops', role: 'admin' as const };
    audit.record('group.destroyed', who, { key: 'k', group: 'g1' });
    clock.advance(1);
    audit.record('consumer.deleted', who, { key: 'k', group: 'g2', consumer: 'c' });
    clock.advance(1);
    audit.record('claim', who, { key: 'k', group: 'g3' });
    expect(audit.recent().map((e) => [e.seq, e.at, e.details.group])).toEqual([
      [3, 1002, 'g3'],
      [2, 1001, 'g2'],
    ]);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      level: 30,
      audit: 'group.destroyed',
      auditSeq: 1,
      principal: 'jwt:ops',
      role: 'admin',
      key: 'k',
      group: 'g1',
    });
  });
});

describe('audited routes', () => {
  it('group destroyed, consumer deleted, claim, stream ended and channel ended are logged with the principal and listed at GET /v1/audit', async () => {
    const { logger, lines } = capture();
    const spool = createSpoolInstance({ logger, auth: { tokens: { admin: [ADMIN], user: [USER] } } });
    const call = async (method: string, path: string, body?: unknown, token = ADMIN) => {
      const res = await spool.fetch(
        new Request(`http://localhost${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
      );
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    try {
      await call('POST', '/v1/streams/jobs/groups', { group: 'workers', id: '0', mkStream: true });
      const added = await call('POST', '/v1/streams/jobs/entries', { fields: { n: '1' } });
      await call('GET', '/v1/streams/jobs/groups/workers/consumers/alice?count=10');
      const claimed = await call('POST', '/v1/streams/jobs/groups/workers/autoclaim', {
        consumer: 'bob',
        minIdleMs: 0,
      });
      expect(claimed.status).toBe(200);
      expect((await call('DELETE', '/v1/streams/jobs/groups/workers/consumers/alice')).status).toBe(200);
      expect((await call('DELETE', '/v1/streams/jobs/groups/workers')).status).toBe(200);
      const opened = await call('POST', '/v1/messages', { channelId: 'general', channelType: 1 }, USER);
      const messageId = opened.body.messageId as string;
      expect((await call('POST', `/v1/messages/${messageId}/end`, { reason: 'cancelled' })).status).toBe(200);
      const second = await call('POST', '/v1/messages', { channelId: 'general', channelType: 1 }, USER);
      expect((await call('POST', '/v1/channels/1/general/end', {})).body).toEqual({ ended: 1 });

      const audits = lines.filter((l) => l.audit !== undefined);
      expect(audits.map((l) => l.audit)).toEqual([
        'claim',
        'consumer.deleted',
        'group.destroyed',
        'stream.ended',
        'channel.ended',
      ]);
      for (const l of audits) expect(l.principal).toMatch(/^admin:/);
      expect(audits[0]).toMatchObject({
        key: 'jobs',
        group: 'workers',
        consumer: 'bob',
        claimed: [added.body.id],
      });
      expect(audits[1]).toMatchObject({ key: 'jobs', group: 'workers', consumer: 'alice', pending: 0 });
      expect(audits[2]).toMatchObject({ key: 'jobs', group: 'workers', destroyed: true });
      expect(audits[3]).toMatchObject({ messageId, reason: 'cancelled' });
      expect(audits[4]).toMatchObject({
        channelType: 1,
        channelId: 'general',
        reason: 'force',
        ended: [second.body.messageId],
      });

      const listed = await call('GET', '/v1/audit');
      expect((listed.body.items as Array<{ action: string }>).map((e) => e.action)).toEqual([
        'channel.ended',
        'stream.ended',
        'group.destroyed',
        'consumer.deleted',
        'claim',
      ]);
      expect((await call('GET', '/v1/audit', undefined, USER)).status).toBe(403);
    } finally {
      await spool.close();
    }
  });

  it('a refused action is not audited as done', async () => {
    const { logger, lines } = capture();
    const spool = createSpoolInstance({ logger, auth: { tokens: { admin: [ADMIN], user: [USER] } } });
    try {
      const res = await spool.fetch(
        new Request('http://localhost/v1/streams/jobs/groups/workers', {
          method: 'DELETE',
          headers: { authorization: `Bearer ${USER}` },
        }),
      );
      expect(res.status).toBe(403);
      expect(lines.filter((l) => l.audit !== undefined)).toEqual([]);
    } finally {
      await spool.close();
    }
  });
});
