import type { StoredMessage } from '@spool/core';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { NOW, spoolStats } from '../test/fixtures';
import { apiError, ORIGIN, renderDashboard, statsHandler } from '../test/render';
import { server } from '../test/server';
import { storeQuery } from './StoredView';

function stored(i: number, over: Partial<StoredMessage> = {}): StoredMessage {
  const messageId = String(1_843_563_473_929_170_944n + BigInt(i));
  return {
    messageId,
    channelId: 'general',
    channelType: 1,
    meta: { messageId, channelId: 'general', channelType: 1, fromUid: 'bot', customFields: {} },
    text: `stored ${i}`,
    lastChunkId: 2,
    reason: 'success',
    firstEventId: `${NOW + i}-0`,
    lastEventId: `${NOW + i}-3`,
    persistedAt: NOW + i,
    ...over,
  };
}

describe('StoredView', () => {
  it('searches by channel, newest first, and loads older pages with the cursor', async () => {
    const asked: string[] = [];
    server.use(
      statsHandler(spoolStats()),
      http.get(`${ORIGIN}/v1/store/messages`, ({ request }) => {
        const q = new URL(request.url).searchParams;
        asked.push(q.toString());
        return q.get('before') === `${NOW + 1}-0`
          ? HttpResponse.json({ items: [stored(0)], next: null })
          : HttpResponse.json({ items: [stored(2), stored(1)], next: `${NOW + 1}-0` });
      }),
    );
    renderDashboard('stored');
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('Channel ID'), 'general');
    await user.click(screen.getByRole('button', { name: 'Search' }));
    expect((await screen.findByTestId(`stored-row-${stored(2).messageId}`)).textContent).toContain(
      'stored 2',
    );
    expect(screen.getByTestId(`stored-row-${stored(1).messageId}`).textContent).toContain('1:general');
    await user.click(screen.getByRole('button', { name: 'Load older messages' }));
    await screen.findByTestId(`stored-row-${stored(0).messageId}`);
    expect(screen.queryByRole('button', { name: 'Load older messages' })).toBeNull();
    expect(asked).toEqual([
      'channelType=1&channelId=general&limit=50',
      `channelType=1&channelId=general&limit=50&before=${NOW + 1}-0`,
    ]);
  });

  it('searches by sender and by custom field (as JSON when asked)', async () => {
    const asked: string[] = [];
    server.use(
      statsHandler(spoolStats()),
      http.get(`${ORIGIN}/v1/store/messages`, ({ request }) => {
        asked.push(new URL(request.url).searchParams.toString());
        return HttpResponse.json({
          items: [stored(5, { meta: { ...stored(5).meta, fromUid: 'alice' } })],
          next: null,
        });
      }),
    );
    renderDashboard('stored');
    const user = userEvent.setup();
    await user.selectOptions(await screen.findByLabelText('Search by'), 'sender');
    await user.type(screen.getByLabelText('Sender'), 'alice');
    await user.click(screen.getByRole('button', { name: 'Search' }));
    expect((await screen.findByTestId(`stored-row-${stored(5).messageId}`)).textContent).toContain('alice');
    await user.selectOptions(screen.getByLabelText('Search by'), 'field');
    await user.type(screen.getByLabelText('Field'), 'retryCount');
    await user.type(screen.getByLabelText('Value'), '3');
    await user.click(screen.getByLabelText('as JSON'));
    await user.click(screen.getByRole('button', { name: 'Search' }));
    await waitFor(() => expect(asked).toHaveLength(2));
    expect(asked).toEqual(['fromUid=alice&limit=50', 'field=retryCount&value=3&json=1&limit=50']);
  });

  it('says what is missing instead of searching, and shows the server error with its code', async () => {
    server.use(
      statsHandler(spoolStats()),
      http.get(`${ORIGIN}/v1/store/messages`, () => apiError(503, 'STORE_UNAVAILABLE', 'PostgreSQL is down')),
    );
    renderDashboard('stored');
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Search' }));
    expect(screen.getByRole('alert').textContent).toBe('Give the channel ID.');
    await user.type(screen.getByLabelText('Channel ID'), 'general');
    await user.click(screen.getByRole('button', { name: 'Search' }));
    expect(await screen.findByText(/STORE_UNAVAILABLE/)).toBeTruthy();
  });

  it('storeQuery refuses a channel type outside 0 to 255', () => {
    const base = { by: 'channel' as const, channelId: 'g', fromUid: '', field: '', value: '', json: false };
    expect(storeQuery({ ...base, channelType: '256' })).toMatch(/0 to 255/);
    expect(storeQuery({ ...base, channelType: 'x' })).toMatch(/0 to 255/);
    expect(storeQuery({ ...base, channelType: '0' })).toEqual({ channelType: 0, channelId: 'g' });
  });
});
