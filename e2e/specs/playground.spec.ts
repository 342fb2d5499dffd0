import { expect, figureOf, openView, saveScreenshot, test, textOf } from '../support/fixtures';

test.describe('playground', () => {
  test("a reply's text survives dropped connections intact", async ({ page, api }, testInfo) => {
    await openView(page, '#/playground', 'Playground');
    await page.getByRole('button', { name: 'Start reply' }).click();
    const messageId = (await textOf(page.getByTestId('playground-message-id'))).trim();
    expect(messageId).toMatch(/^\d{15,20}$/);

    const status = page.getByTestId('playground-status');
    const chunks = page.getByTestId('playground-chunks');
    await expect(status).toHaveText('streaming');
    await expect.poll(() => figureOf(chunks)).toBeGreaterThan(0);
    const chunksBeforeDrop = await figureOf(chunks);

    // Mid-stream: drop the socket by hand, then keep dropping it every 2 s until the reply ends.
    await page.getByRole('button', { name: 'Drop connection' }).click();
    await expect(page.getByTestId('playground-drops')).toHaveText('1');
    const chaos = page.getByRole('switch', { name: 'Keep dropping the connection' });
    await chaos.click();
    await expect(chaos).toHaveAttribute('aria-checked', 'true');

    await expect(status).toHaveText('ended (success)', { timeout: 30_000 });
    await expect(page.getByTestId('playground-live-state')).toHaveAttribute('data-state', 'open');
    const verify = page.getByTestId('playground-verify');
    await expect(verify).toHaveAttribute('data-ok', 'true');
    await expect(verify).toContainText('nothing lost');

    const stored = await api.message(messageId);
    expect(stored.status).toBe('ended');
    // Chunks were written after the drop: it really happened mid-stream.
    expect(stored.chunks).toBeGreaterThan(chunksBeforeDrop);
    const shown = await textOf(page.getByTestId('playground-text'));
    expect(shown.length).toBeGreaterThan(40);
    expect(shown).toBe(stored.text);
    await expect(chunks).toHaveText(String(stored.chunks));
    await saveScreenshot(page, testInfo, 'playground');
  });
});
