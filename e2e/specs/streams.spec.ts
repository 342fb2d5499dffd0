import { expect, openView, saveScreenshot, test } from '../support/fixtures';
import { runId } from '../support/spool-api';

test.describe('live streams', () => {
  test('a stream opened through the API appears, its chunk count climbs, and it can be watched and ended', async ({
    page,
    api,
  }, testInfo) => {
    await openView(page, '#/streams', 'Live streams');
    const channelId = `e2e-${runId}`;
    const messageId = await api.openMessage({
      channelId,
      channelType: 1,
      fromUid: 'e2e-bot',
      customFields: { suite: 'e2e' },
    });
    // A 64-bit snowflake: it must reach the page digit for digit, never through a JS number.
    expect(messageId).toMatch(/^\d{15,20}$/);

    const row = page.getByTestId(`stream-row-${messageId}`);
    await expect(row).toBeVisible();
    await expect(row.getByRole('rowheader')).toHaveText(messageId);
    await expect(row).toContainText(`chan:1:${channelId}`);
    await expect(row).toContainText('e2e-bot');
    await expect(row).toContainText('suite=e2e');

    const chunks = page.getByTestId(`stream-chunks-${messageId}`);
    await expect(chunks).toHaveText('0');
    const words = ['Resumable ', 'streams ', 'survive ', 'dropped ', 'connections.'];
    for (const [i, word] of words.entries()) {
      await api.appendChunk(messageId, i, word);
      await expect(chunks).toHaveText(String(i + 1));
    }
    await saveScreenshot(page, testInfo, 'streams');

    await row.getByRole('link', { name: `Watch message ${messageId}` }).click();
    await expect(page).toHaveURL(new RegExp(`#/streams/${messageId}$`));
    const text = page.getByTestId('watch-text');
    await expect(text).toHaveText(words.join(''));
    await expect(page.getByTestId('watch-chunks')).toHaveText(String(words.length));
    await expect(page.getByTestId('watch-status')).toHaveText('streaming');

    // Live while watched: the new delta arrives over the channel subscription.
    await api.appendChunk(messageId, words.length, ' Even this one.');
    await expect(text).toHaveText(`${words.join('')} Even this one.`);
    await expect(page.getByTestId('watch-chunks')).toHaveText(String(words.length + 1));
    await saveScreenshot(page, testInfo, 'stream-watch');

    await page.getByRole('button', { name: 'End stream' }).click();
    // Asked first; the stream ends only once confirmed.
    const confirm = page.getByRole('alertdialog', { name: `End message ${messageId} now (reason success)?` });
    await expect(page.getByTestId('watch-status')).toHaveText('streaming');
    await confirm.getByRole('button', { name: 'End', exact: true }).click();
    await expect(page.getByTestId('watch-status')).toHaveText('ended (success)');
    await expect(row).toHaveCount(0);
    const stored = await api.message(messageId);
    expect(stored).toMatchObject({ status: 'ended', reason: 'success', chunks: words.length + 1 });
    expect(stored.text).toBe(`${words.join('')} Even this one.`);
  });
});
