import type { APIResponse } from '@playwright/test';
import type { SpoolStats } from '@spool/core';
import { expect, openView, saveScreenshot, test } from '../support/fixtures';
import { runId } from '../support/spool-api';
import { type ClusterInstance, SpoolCluster } from '../support/spool-cluster';

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
    let a: ClusterInstance;
    let b: ClusterInstance;
    test.beforeAll(async () => {
      a = await cluster.start('e2e-a');
      b = await cluster.start('e2e-b');
    });
    test.afterAll(async () => {
      await cluster.stop();
    });

    test('the cluster view on instance A lists A and B, live', async ({ page }, testInfo) => {
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

    test("A's live streams list a message produced on B, through A's own snapshots, and cancel it there", async ({
      page,
    }) => {
      const json = async <T>(res: APIResponse): Promise<T> => {
        if (!res.ok()) throw new Error(`${res.url()} answered ${res.status()}: ${await res.text()}`);
        return (await res.json()) as T;
      };
      const channelId = `e2e-cluster-${runId}`;
      const { messageId } = await json<{ messageId: string }>(
        await page.request.post(`${b.url}/v1/messages`, {
          data: { channelId, channelType: 1, fromUid: 'bot-on-b' },
        }),
      );
      const chunk = async (chunkId: number, text: string) =>
        json(
          await page.request.post(`${b.url}/v1/messages/${messageId}/chunks`, { data: { chunkId, text } }),
        );
      await chunk(0, 'Produced on B, ');

      await page.goto(`${a.url}/#/streams`);
      await expect(page.getByTestId('live-state')).toHaveAttribute('data-state', 'open');
      const row = page.getByTestId(`stream-row-${messageId}`);
      await expect(row).toContainText('bot-on-b');
      // A's own `$sys` snapshots do not carry B's message: it stays through them, never dropped
      // for a moment (a MutationObserver in the page notes any removal of the row).
      await page.evaluate((testId) => {
        const w = window as unknown as { rowDropped: boolean };
        w.rowDropped = false;
        new MutationObserver(() => {
          if (!document.querySelector(`[data-testid="${testId}"]`)) w.rowDropped = true;
        }).observe(document.body, { childList: true, subtree: true });
      }, `stream-row-${messageId}`);
      const statsOfA = async () => (await json<SpoolStats>(await page.request.get(`${a.url}/v1/stats`))).at;
      const seenAt = await statsOfA();
      await expect.poll(statsOfA, { timeout: 20_000 }).toBeGreaterThan(seenAt + 2500);
      expect(await page.evaluate(() => (window as unknown as { rowDropped: boolean }).rowDropped)).toBe(
        false,
      );
      await expect(row).toBeVisible();

      // Cancelling from A reaches B, the owner (docs/http-api.md: writes are forwarded to the owner).
      await page.getByRole('button', { name: `Cancel message ${messageId}` }).click();
      await page.getByRole('button', { name: 'Cancel message', exact: true }).click();
      await expect(row).toHaveCount(0);
      const onB = await json<{ status: string; reason: string; text: string }>(
        await page.request.get(`${b.url}/v1/messages/${messageId}`),
      );
      expect(onB).toMatchObject({ status: 'ended', reason: 'cancelled', text: 'Produced on B, ' });
    });
  });
});
