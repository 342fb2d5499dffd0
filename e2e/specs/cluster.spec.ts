import { expect, openView, saveScreenshot, test } from '../support/fixtures';
import { SpoolCluster } from '../support/spool-cluster';

test.describe('cluster', () => {
  test('the server under test runs alone: the cluster view says "single process"', async ({
    page,
  }, testInfo) => {
    await openView(page, '#/cluster', 'Cluster');
    await expect(page.getByTestId('cluster-single')).toContainText(
      'Single process: this server is not part of a cluster.',
    );
    await expect(page.getByRole('table', { name: 'Live instances' })).toHaveCount(0);
    await page.getByRole('link', { name: 'Overview' }).click();
    await expect(page.getByTestId('stat-connections')).toBeVisible();
    await expect(page.getByTestId('cluster-summary')).toHaveCount(0);
    await saveScreenshot(page, testInfo, 'cluster-single');
  });

  test.describe('two instances on one Redis', () => {
    const cluster = new SpoolCluster();
    test.afterAll(async () => {
      await cluster.stop();
    });

    test('the cluster view on instance A lists A and B, live', async ({ page }, testInfo) => {
      const a = await cluster.start('e2e-a');
      const b = await cluster.start('e2e-b');

      await page.goto(`${a.url}/#/cluster`);
      await expect(page.getByRole('heading', { level: 1, name: 'Cluster' })).toBeVisible();
      await expect(page.getByTestId('live-state')).toHaveAttribute('data-state', 'open');
      await expect(page.getByTestId('cluster-self-id')).toHaveText(a.instanceId);
      await expect(page.getByTestId('instance-row-e2e-a')).toContainText('this instance');
      await expect(page.getByTestId('instance-row-e2e-b')).toBeVisible();
      await expect(page.getByTestId('cluster-count')).toHaveText('2');
      // A's own row counts the dashboard's WebSocket (its heartbeat carries A's connections).
      await expect(page.getByTestId('instance-connections-e2e-a')).not.toHaveText('0');
      await saveScreenshot(page, testInfo, 'cluster');

      // B's connections move when a client connects to B: pushed to A's dashboard by B's heartbeat.
      const before = Number(await page.getByTestId('instance-connections-e2e-b').textContent());
      const other = await page.context().newPage();
      await other.goto(`${b.url}/#/overview`);
      await expect(other.getByTestId('live-state')).toHaveAttribute('data-state', 'open');
      await expect
        .poll(async () => Number(await page.getByTestId('instance-connections-e2e-b').textContent()), {
          timeout: 20_000,
        })
        .toBeGreaterThan(before);
      // Its overview is clustered too, and says which instance it is.
      await expect(other.getByTestId('cluster-summary-self')).toHaveText(b.instanceId);
      await expect(other.getByTestId('stat-instances')).toHaveText('2');
      await saveScreenshot(other, testInfo, 'overview-clustered');
      await other.close();
    });
  });
});
