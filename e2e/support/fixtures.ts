import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as base, expect, type Locator, type Page, type TestInfo } from '@playwright/test';
import { SpoolApi } from './spool-api';

/** Where each view's screenshot lands (gitignored with the rest of e2e/artifacts). */
export const screenshotDir = fileURLToPath(new URL('../artifacts/screenshots/', import.meta.url));

/** The README's picture of the dashboard, rewritten only with SPOOL_UPDATE_DOCS_SCREENSHOT=1. */
export const docsScreenshot = fileURLToPath(
  new URL('../../docs/images/dashboard-overview.png', import.meta.url),
);

/**
 * Playwright's `test` with the Spool API client (`api`) and a guard that fails any test
 * during which the dashboard threw an uncaught error, whatever its assertions said.
 *
 * @example
 * test('a stream shows up', async ({ page, api }) => { const id = await api.openMessage(meta); ... });
 */
export const test = base.extend<{ api: SpoolApi; pageErrors: Error[] }>({
  api: async ({ request }, use) => {
    await use(new SpoolApi(request));
  },
  pageErrors: [
    async ({ page }, use) => {
      const errors: Error[] = [];
      page.on('pageerror', (err) => errors.push(err));
      await use(errors);
      expect(
        errors.map((e) => e.message),
        'uncaught errors in the dashboard',
      ).toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/**
 * Saves a full-page screenshot of the current view to `e2e/artifacts/screenshots/<name>.png`
 * and attaches it to the test's results.
 *
 * @example await saveScreenshot(page, testInfo, 'overview');
 */
export async function saveScreenshot(page: Page, testInfo: TestInfo, name: string): Promise<string> {
  const path = `${screenshotDir}${name}.png`;
  await mkdir(dirname(path), { recursive: true });
  // Caret blinking and other animations would make two runs' pictures differ for nothing.
  const body = await page.screenshot({ path, fullPage: true, animations: 'disabled' });
  await testInfo.attach(name, { body, contentType: 'image/png' });
  return path;
}

/** Opens a view by its hash route and waits for its heading (the dashboard is a single page). */
export async function openView(page: Page, hash: string, heading: string | RegExp): Promise<void> {
  await page.goto(`/${hash}`);
  await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
  // Everything live comes through `$sys`: wait for the socket, so "it moves" means pushed, not polled.
  await expect(page.getByTestId('live-state')).toHaveAttribute('data-state', 'open');
}

/** The element's text as the DOM holds it (a `<pre>`'s newlines included); waits for the element. */
export async function textOf(locator: Locator): Promise<string> {
  return (await locator.textContent()) ?? '';
}

/** A figure the dashboard formats with `formatCount` / `formatRate` (`"1,234"`, `"12.5"`) as a number. */
export async function figureOf(locator: Locator): Promise<number> {
  return Number((await textOf(locator)).replaceAll(',', ''));
}
