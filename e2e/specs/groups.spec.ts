import { expect, openView, saveScreenshot, test } from '../support/fixtures';
import { runId } from '../support/spool-api';

test.describe('consumer groups', () => {
  test("after a consumer acks, the group's pending count drops", async ({ page, api }, testInfo) => {
    const key = `e2e:jobs:${runId}`;
    const group = 'billing';
    await api.createGroup(key, group);
    await openView(page, '#/groups', 'Consumer groups');

    const card = page.getByTestId(`broker-stream-${key}`);
    await expect(card).toBeVisible();
    const pending = page.getByTestId(`group-pending-${key}-${group}`);
    await expect(pending).toHaveText('0');

    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) ids.push(await api.addEntry(key, { job: `invoice-${i}` }));
    await expect(card).toContainText('5 entries');
    await expect(page.getByTestId(`group-lag-${key}-${group}`)).toHaveText('5');

    const read = await api.readGroup(key, group, 'worker-a', 10);
    expect(read.map((e) => e.id)).toEqual(ids);
    await expect(pending).toHaveText('5');
    await expect(page.getByTestId(`group-lag-${key}-${group}`)).toHaveText('0');
    // Consumers come from `GET /v1/streams/:key`, re-read every 5 s (BROKER_REFRESH_MS), not from `$sys`.
    const consumerPending = page.getByTestId(`consumer-pending-${key}-${group}-worker-a`);
    await expect(consumerPending).toHaveText('5', { timeout: 15_000 });

    await card.getByRole('button', { name: 'Show pending entries' }).click();
    for (const id of ids) await expect(page.getByTestId(`pel-row-${id}`)).toBeVisible();
    await saveScreenshot(page, testInfo, 'groups');

    expect(await api.ack(key, group, ids.slice(0, 3))).toBe(3);
    await expect(pending).toHaveText('2');
    expect(await api.pendingCount(key, group)).toBe(2);
    await expect(consumerPending).toHaveText('2', { timeout: 15_000 });

    expect(await api.ack(key, group, ids.slice(3))).toBe(2);
    await expect(pending).toHaveText('0');
    // The demo's workers consume finished messages in their own group on `spool:completed`.
    await expect(page.getByTestId('broker-stream-spool:completed')).toContainText('Group workers');
  });
});
