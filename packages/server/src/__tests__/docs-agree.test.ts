/**
 * Where docs/protocol.md and docs/http-api.md state a limit or a default, the server does
 * exactly that, over the socket and over HTTP alike.
 */
import { readFileSync } from 'node:fs';
import { wireLimits } from '@spool/core';
import { describe, expect, it } from 'vitest';
import { apiOf, codeOf, enc, tokenSpool } from '../http/routes/__tests__/route-kit';
import { serverFixture, startServer } from './helpers';

const fixture = serverFixture();
const doc = (name: string) => readFileSync(new URL(`../../../../docs/${name}`, import.meta.url), 'utf8');

/** The backticked codes of a markdown section (from its heading to the next one of its level). */
function codesOf(markdown: string, heading: string): Set<string> {
  const start = markdown.indexOf(heading);
  expect(start).toBeGreaterThan(-1);
  const level = heading.split(' ')[0]!;
  const end = markdown.indexOf(`\n${level} `, start + heading.length);
  const section = markdown.slice(start, end === -1 ? undefined : end);
  return new Set([...section.matchAll(/`([A-Z_]{3,})`/g)].map((m) => m[1]!));
}

describe('event names', () => {
  const longest = 'e'.repeat(wireLimits.maxEventNameLength);

  it('docs/protocol.md states the limit the server enforces', () => {
    expect(wireLimits.maxEventNameLength).toBe(256);
    expect(doc('protocol.md')).toContain(`It is at most ${wireLimits.maxEventNameLength} characters`);
  });

  it('a name of the longest length is published over the socket; one more is refused', async () => {
    fixture.track(await startServer());
    const c = await fixture.client();
    expect(await c.request({ op: 'pub', topic: 'notes', event: longest, data: 1 })).toMatchObject({
      op: 'ack',
    });
    expect(await c.request({ op: 'pub', topic: 'notes', event: `${longest}e`, data: 1 })).toMatchObject({
      op: 'err',
      code: 'INVALID_MESSAGE',
    });
  });

  it('the same over HTTP', async () => {
    const api = apiOf(tokenSpool(), 'user');
    const ok = await api.post(`/v1/topics/${enc('notes')}/events`, { event: longest, data: 1 });
    expect(ok.status).toBe(201);
    const tooLong = await api.post(`/v1/topics/${enc('notes')}/events`, { event: `${longest}e`, data: 1 });
    expect([tooLong.status, codeOf(tooLong)]).toEqual([400, 'INVALID_EVENT']);
  });

  it('a name the log refuses is INVALID_EVENT on the socket, a code the protocol documents', async () => {
    fixture.track(await startServer());
    const c = await fixture.client();
    const refused = await c.request({ op: 'pub', topic: 'notes', event: ' leading space', data: 1 });
    expect(refused).toMatchObject({ op: 'err', code: 'INVALID_EVENT' });
    expect(codesOf(doc('protocol.md'), '## Error codes on the wire')).toContain('INVALID_EVENT');
  });
});

describe('chunks over HTTP', () => {
  it('need exactly one of text and b64, as on the socket', async () => {
    const api = apiOf(tokenSpool(), 'user');
    const { body } = await api.post<{ messageId: string }>('/v1/messages', {
      channelId: 'g',
      channelType: 1,
    });
    const neither = await api.post(`/v1/messages/${body.messageId}/chunks`, { chunkId: 0 });
    expect([neither.status, codeOf(neither)]).toEqual([400, 'BAD_REQUEST']);
    const both = await api.post(`/v1/messages/${body.messageId}/chunks`, {
      chunkId: 0,
      text: 'a',
      b64: 'YQ==',
    });
    expect([both.status, codeOf(both)]).toEqual([400, 'BAD_REQUEST']);
    const one = await api.post(`/v1/messages/${body.messageId}/chunks`, { chunkId: 0, b64: 'YQ==' });
    expect(one.status).toBe(200);
  });
});

describe('fromUid', () => {
  it("defaults to the caller's principal id over HTTP and the socket, as both documents say", async () => {
    const spool = tokenSpool();
    const api = apiOf(spool, 'user');
    const { body } = await api.post<{ messageId: string }>('/v1/messages', {
      channelId: 'g',
      channelType: 1,
    });
    const view = await api.get<{ meta: { fromUid: string } }>(`/v1/messages/${body.messageId}`);
    expect(view.body.meta.fromUid).toMatch(/^user:[0-9a-f]{12}$/);
    const given = await api.post<{ messageId: string }>('/v1/messages', {
      channelId: 'g',
      channelType: 1,
      fromUid: 'alice',
    });
    expect(
      (await api.get<{ meta: { fromUid: string } }>(`/v1/messages/${given.body.messageId}`)).body.meta
        .fromUid,
    ).toBe('alice');
    await spool.close();

    const server = fixture.track(await startServer());
    const c = await fixture.client();
    const opened = await c.request({ op: 'msg.open', meta: { channelId: 'g', channelType: 1 } });
    const local = await fetch(`${server.url}/v1/messages/${opened.messageId}`);
    expect(((await local.json()) as { meta: { fromUid: string } }).meta.fromUid).toBe('local');

    expect(doc('protocol.md')).toMatch(/`fromUid`[^\n]*defaults to the principal's id/);
    expect(doc('http-api.md')).toMatch(/`fromUid`[^\n]*defaults to the principal's id/);
  });
});
