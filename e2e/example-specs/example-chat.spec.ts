import type { APIRequestContext, Locator, Page } from '@playwright/test';
import { expect, test, textOf } from '../support/fixtures';
import { runId } from '../support/spool-api';

/** What the producer publishes on `example-chat.runs` when a reply ends. */
interface RunRecord {
  messageId: string;
  room: string;
  outcome: string;
  aborted: boolean;
  tokens: number;
}

/** The fake model's reply length (apps/example-chat/producer/fake-model.ts). */
const FULL_REPLY_TOKENS = 80;

let rooms = 0;
const newRoom = (name: string) => `${name}-${runId}-${++rooms}`;

async function openRoom(page: Page, room: string): Promise<void> {
  await page.goto(`/?room=${room}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'open');
}

async function ask(page: Page, question: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Your question' }).fill(question);
  await page.getByRole('button', { name: 'Send' }).click();
}

const replies = (page: Page): Locator => page.locator('[data-testid="message"][data-role="assistant"]');

/** Waits until the newest reply is being written and shows some text; returns its message ID. */
async function replyUnderWay(page: Page, minChars = 30): Promise<string> {
  const reply = replies(page).last();
  await expect(reply).toHaveAttribute('data-status', 'streaming');
  await expect
    .poll(async () => (await textOf(reply.getByTestId('message-text'))).length)
    .toBeGreaterThan(minChars);
  return (await reply.getAttribute('data-message-id'))!;
}

async function runRecord(request: APIRequestContext, messageId: string): Promise<RunRecord | undefined> {
  const res = await request.get('/v1/topics/example-chat.runs/history', { params: { after: '0-0' } });
  expect(res.ok()).toBe(true);
  const events = (await res.json()) as Array<{ data: RunRecord }>;
  return events.map((e) => e.data).find((r) => r.messageId === messageId);
}

test.describe('example chat', () => {
  test('a reload in the middle of a reply shows it whole and exact once it ends', async ({ page, api }) => {
    await openRoom(page, newRoom('reload'));
    await ask(page, 'Tell me about resuming');
    const messageId = await replyUnderWay(page);
    const before = await textOf(replies(page).last().getByTestId('message-text'));
    expect((await api.message(messageId)).status).toBe('streaming');

    await page.reload();
    await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'open');
    const reply = page.locator(`[data-message-id="${messageId}"]`);
    await expect(reply).toHaveAttribute('data-status', 'ended', { timeout: 30_000 });
    await expect(reply).toHaveAttribute('data-reason', 'success');

    const stored = await api.message(messageId);
    const shown = await textOf(reply.getByTestId('message-text'));
    expect(shown).toBe(stored.text);
    expect(shown.startsWith(before)).toBe(true);
    expect(shown.length).toBeGreaterThan(before.length);
    // The question is there too, once.
    await expect(page.locator('[data-role="user"]')).toHaveText(['Tell me about resuming']);
    expect(await runRecord(page.request, messageId)).toMatchObject({
      outcome: 'success',
      tokens: FULL_REPLY_TOKENS,
    });
  });

  test('offline in the middle of a reply, then online: the missed text arrives exactly, and a question asked offline goes out once', async ({
    page,
    context,
    api,
  }) => {
    await openRoom(page, newRoom('offline'));
    await ask(page, 'Keep talking');
    const messageId = await replyUnderWay(page);

    await context.setOffline(true);
    await expect(page.getByTestId('connection')).not.toHaveAttribute('data-state', 'open');
    const whileOffline = await textOf(replies(page).last().getByTestId('message-text'));
    // The reply goes on without the page: wait for its end on the server.
    await expect.poll(async () => (await api.message(messageId)).status, { timeout: 30_000 }).toBe('ended');
    await ask(page, 'Asked while offline');
    await expect(page.getByTestId('pending')).toContainText('sending…');

    await context.setOffline(false);
    await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'open', { timeout: 30_000 });
    const reply = page.locator(`[data-message-id="${messageId}"]`);
    await expect(reply).toHaveAttribute('data-status', 'ended');
    const stored = await api.message(messageId);
    expect(stored.text.length).toBeGreaterThan(whileOffline.length);
    await expect(reply.getByTestId('message-text')).toHaveText(stored.text);

    // The queued question was published once and answered once.
    await expect(page.locator('[data-role="user"]')).toHaveText(['Keep talking', 'Asked while offline']);
    await expect(replies(page)).toHaveCount(2);
    await expect(page.getByTestId('pending')).toHaveCount(0);
  });

  test('Stop cancels the reply: it ends cancelled and the producer aborts its model', async ({
    page,
    api,
  }) => {
    await openRoom(page, newRoom('stop'));
    await ask(page, 'Go on and on');
    const messageId = await replyUnderWay(page);
    const reply = page.locator(`[data-message-id="${messageId}"]`);

    await reply.getByRole('button', { name: 'Stop' }).click();
    await expect(reply).toHaveAttribute('data-status', 'ended');
    await expect(reply).toHaveAttribute('data-reason', 'cancelled');
    await expect(reply).toContainText('stopped');
    await expect(reply.getByRole('button', { name: 'Stop' })).toHaveCount(0);

    const stored = await api.message(messageId);
    expect(stored.reason).toBe('cancelled');
    await expect(reply.getByTestId('message-text')).toHaveText(stored.text);
    await expect.poll(() => runRecord(page.request, messageId)).toBeDefined();
    const run = (await runRecord(page.request, messageId))!;
    expect(run).toMatchObject({ outcome: 'cancelled', aborted: true });
    expect(run.tokens).toBeLessThan(FULL_REPLY_TOKENS);
    expect(stored.chunks).toBeLessThanOrEqual(run.tokens);
  });

  test('closing the tab is not Stop: the reply goes on and is whole when the room is opened again', async ({
    page,
    context,
    api,
  }) => {
    const room = newRoom('close');
    await openRoom(page, room);
    await ask(page, 'Finish without me');
    const messageId = await replyUnderWay(page, 5);
    await page.close();

    await expect.poll(async () => (await api.message(messageId)).status, { timeout: 30_000 }).toBe('ended');
    const stored = await api.message(messageId);
    expect(stored.reason).toBe('success');

    const again = await context.newPage();
    await openRoom(again, room);
    const reply = again.locator(`[data-message-id="${messageId}"]`);
    await expect(reply).toHaveAttribute('data-reason', 'success');
    await expect(reply.getByTestId('message-text')).toHaveText(stored.text);
  });

  test('two tabs on one room show the same question and the same reply, live', async ({
    page,
    context,
    api,
  }) => {
    const room = newRoom('tabs');
    const other = await context.newPage();
    await openRoom(page, room);
    await openRoom(other, room);

    await ask(page, 'Seen from two tabs');
    const messageId = await replyUnderWay(other);
    // The second tab shows the reply while it is being written, not only at the end.
    await expect(other.locator(`[data-message-id="${messageId}"]`)).toHaveAttribute(
      'data-status',
      'streaming',
    );

    for (const tab of [page, other]) {
      await expect(tab.locator(`[data-message-id="${messageId}"]`)).toHaveAttribute(
        'data-reason',
        'success',
        {
          timeout: 30_000,
        },
      );
    }
    const stored = await api.message(messageId);
    for (const tab of [page, other]) {
      await expect(tab.locator('[data-role="user"]')).toHaveText(['Seen from two tabs']);
      await expect(tab.locator(`[data-message-id="${messageId}"]`).getByTestId('message-text')).toHaveText(
        stored.text,
      );
    }
  });
  test('scrolling up pages in the older messages of the room, each once and in order, long after the topic trimmed them', async ({
    page,
    api,
  }) => {
    // example.config.ts keeps 150 events per topic: the newest 50 of these messages (three
    // events each) are all the channel's topic still holds; the rest only the store has.
    const room = newRoom('history');
    const count = 120;
    const texts: string[] = [];
    let id = '';
    for (let i = 0; i < count; i++) {
      id = await api.openMessage({
        channelType: 1,
        channelId: room,
        customFields: { role: i % 2 === 0 ? 'user' : 'assistant' },
      });
      texts.push(`message ${String(i).padStart(3, '0')}`);
      await api.appendChunk(id, 0, texts[i]!);
      await api.endMessage(id);
    }
    // Saved to the store once ended: the history route serves it from there.
    await expect.poll(async () => (await api.message(id)).status).toBe('ended');

    const pages: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes(`/v1/channels/1/${room}/messages`)) pages.push(r.url());
    });
    await openRoom(page, room);
    const shown = page.getByTestId('message-text');
    const older = page.getByTestId('older');
    // What the topic holds arrives live; the newest message is last and in view.
    await expect(shown.last()).toHaveText(texts[count - 1]!);
    await expect(shown.last()).toBeInViewport();
    // Each scroll to the top loads one more page until the room's beginning.
    for (let pages = 0; pages < 10 && (await older.getAttribute('data-has-older')) === 'true'; pages++) {
      const before = await shown.count();
      await older.scrollIntoViewIfNeeded();
      await expect
        .poll(
          async () =>
            (await shown.count()) > before || (await older.getAttribute('data-has-older')) === 'false',
        )
        .toBe(true);
    }
    await expect(older).toHaveText('The beginning of the room.');
    await expect(shown).toHaveText(texts);
    // 120 messages at 50 a page: the history route served every message the topic had lost.
    expect(pages.length).toBeGreaterThanOrEqual(3);
  });
});
