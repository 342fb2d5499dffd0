import { copyFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import {
  docsScreenshot,
  expect,
  figureOf,
  openView,
  saveScreenshot,
  test,
  textOf,
} from '../support/fixtures';
import { runId } from '../support/spool-api';

const KiB = 1024;

/** The "N published" figure under the events/sec KPI. */
async function publishedCount(page: Page): Promise<number> {
  const sub = page.locator('.kpi', { has: page.getByTestId('stat-events-per-sec') }).locator('.kpi-sub');
  const text = await textOf(sub);
  const match = /([\d,]+) published/.exec(text);
  if (!match) throw new Error(`no "published" figure in ${JSON.stringify(text)}`);
  return Number(match[1]!.replaceAll(',', ''));
}

async function valueNow(gauge: Locator): Promise<number> {
  return Number(await gauge.getAttribute('aria-valuenow'));
}

test.describe('overview', () => {
  test('its numbers move with the traffic, pushed live through $sys', async ({ page, api }) => {
    await openView(page, '#/overview', 'Overview');
    const rate = page.getByTestId('stat-events-per-sec');
    await expect(rate).toHaveText(/^\d[\d,]*(\.\d)?$/);
    const publishedBefore = await publishedCount(page);

    const topic = `e2e:overview:${runId}`;
    const burst = 40;
    for (let i = 0; i < burst; i++) await api.publish(topic, { n: i });

    // Our burst alone adds `burst` events, whatever the demo producer does meanwhile.
    await expect.poll(() => publishedCount(page)).toBeGreaterThanOrEqual(publishedBefore + burst);
    await expect.poll(() => figureOf(rate)).toBeGreaterThan(0);
    // The chart's accessible description follows the latest sample.
    await expect(
      page.getByRole('img', { name: /^Events per second, last 5 minutes: now (?!0\.0,)/ }),
    ).toBeVisible();
  });

  test('the memory gauge rises while a large message is open and falls when it ends', async ({
    page,
    api,
  }) => {
    await openView(page, '#/overview', 'Overview');
    const gauge = page.getByTestId('memory-gauge');
    await expect(gauge).toHaveAttribute('aria-valuemax', String(100 * 2 ** 20));
    const before = await valueNow(gauge);

    const messageId = await api.openMessage({ channelId: `mem-${runId}`, channelType: 7, fromUid: 'e2e' });
    const chunk = 'x'.repeat(256 * KiB);
    for (let i = 0; i < 4; i++) await api.appendChunk(messageId, i, chunk);

    // 1 MiB of chunks; the demo's own replies are a few KiB, so 90% of it must show.
    const rise = 900 * KiB;
    await expect.poll(() => valueNow(gauge)).toBeGreaterThanOrEqual(before + rise);
    await expect(gauge).toHaveAttribute('aria-valuetext', /^\d+(\.\d)? MiB of 100 MiB \(\d+(\.\d)?%\)$/);
    const peak = await valueNow(gauge);

    await api.endMessage(messageId);
    await expect.poll(() => valueNow(gauge)).toBeLessThanOrEqual(peak - rise);
    expect((await api.message(messageId)).status).toBe('ended');
  });

  test('screenshots of the overview at 1280 and 390 px', async ({ page }, testInfo) => {
    // The README's picture gets a minute and a half of history, so its chart shows a real line.
    const updateDocs = process.env.SPOOL_UPDATE_DOCS_SCREENSHOT === '1';
    const samples = updateDocs ? 90 : 10;
    test.setTimeout((samples + 60) * 1000);
    await openView(page, '#/overview', 'Overview');
    // The chart gains one `$sys` sample a second; wait for enough of them to draw a line.
    const line = page.getByRole('img', { name: /Events per second/ }).locator('polyline');
    await expect
      .poll(async () => ((await line.getAttribute('points')) ?? '').split(' ').length, {
        timeout: (samples + 30) * 1000,
      })
      .toBeGreaterThanOrEqual(samples);
    const wide = await saveScreenshot(page, testInfo, 'overview');
    if (updateDocs) {
      await mkdir(dirname(docsScreenshot), { recursive: true });
      await copyFile(wide, docsScreenshot);
    }

    await page.setViewportSize({ width: 390, height: 844 });
    // Nothing may stick out sideways on a phone.
    await expect
      .poll(() => page.evaluate(() => document.documentElement.scrollWidth))
      .toBeLessThanOrEqual(390);
    await saveScreenshot(page, testInfo, 'overview-390');
  });
});
