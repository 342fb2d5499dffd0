import { expect, openView, saveScreenshot, test } from '../support/fixtures';
import { runId } from '../support/spool-api';

test.describe('topics', () => {
  test('a topic published to through the API shows its retained events, live', async ({
    page,
    api,
  }, testInfo) => {
    await openView(page, '#/topics', 'Topics');
    const topic = `e2e:topics:${runId}`;
    const first = await api.publish(topic, { hello: 'world' });
    await api.publish(topic, { n: 2 }, 'note');
    const third = await api.publish(topic, { n: 3 });

    const row = page.getByTestId(`topic-row-${topic}`);
    await expect(row).toBeVisible();
    await expect(page.getByTestId(`topic-retained-${topic}`)).toHaveText(/^3 \(\d+ B\)$/);
    await expect(row).toContainText(first);
    await expect(row).toContainText(third);

    const last = await api.publish(topic, { n: 4 });
    await expect(page.getByTestId(`topic-retained-${topic}`)).toHaveText(/^4 /);
    await expect(row).toContainText(last);
    // The demo's channels are there too, and the dashboard itself subscribes to `$sys`.
    await expect(page.getByTestId('topic-row-$sys')).toBeVisible();
    await expect(page.getByTestId('topic-subscribers-$sys')).not.toHaveText('0');
    await saveScreenshot(page, testInfo, 'topics');
  });
});
