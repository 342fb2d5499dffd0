import { screen } from '@testing-library/react';
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { clusterSection, idleStats, NOW, spoolStats } from '../test/fixtures';
import { apiError, ORIGIN, renderDashboard, statsHandler } from '../test/render';
import { server } from '../test/server';

describe('AuditView', () => {
  it('lists the audited operator actions, newest first, with their principal and details', async () => {
    server.use(
      statsHandler(idleStats()),
      http.get(`${ORIGIN}/v1/audit`, () =>
        HttpResponse.json({
          items: [
            {
              seq: 2,
              at: NOW,
              action: 'group.destroyed',
              principal: 'jwt:ops-1',
              role: 'admin',
              details: { key: 'spool:completed', group: 'indexer', destroyed: true },
            },
            {
              seq: 1,
              at: NOW - 1000,
              action: 'channel.ended',
              principal: 'admin:3f2a1b',
              role: 'admin',
              details: { channelType: 1, channelId: 'general', ended: ['1843563473929170944'] },
            },
          ],
        }),
      ),
    );
    renderDashboard('audit');
    const rows = await screen.findAllByTestId('audit-row');
    expect(rows).toHaveLength(2);
    expect(rows[0]!.textContent).toContain('Group destroyed');
    expect(rows[0]!.textContent).toContain('jwt:ops-1 (admin)');
    expect(rows[0]!.textContent).toContain('group=indexer');
    expect(rows[1]!.textContent).toContain('Channel ended');
    expect(rows[1]!.textContent).toContain('ended=["1843563473929170944"]');
  });

  it('says so when nothing was audited', async () => {
    server.use(
      statsHandler(idleStats()),
      http.get(`${ORIGIN}/v1/audit`, () => HttpResponse.json({ items: [] })),
    );
    renderDashboard('audit');
    expect(await screen.findByText('No operator action yet.')).toBeTruthy();
  });

  it('shows the error when the server refuses', async () => {
    server.use(
      statsHandler(idleStats()),
      http.get(`${ORIGIN}/v1/audit`, () => apiError(403, 'FORBIDDEN', 'needs the admin role')),
    );
    renderDashboard('audit');
    expect((await screen.findAllByText(/needs the admin role/)).length).toBeGreaterThan(0);
  });

  it("labels the log as this instance's, naming the instance in a cluster", async () => {
    server.use(
      statsHandler(spoolStats({ cluster: clusterSection() })),
      http.get(`${ORIGIN}/v1/audit`, () => HttpResponse.json({ items: [] })),
    );
    renderDashboard('audit');
    expect(await screen.findByText('No operator action yet.')).toBeTruthy();
    expect((await screen.findByTestId('instance-scope')).textContent).toBe('this instance: spool-a');
  });

  it("labels the log as this instance's on a single process too", async () => {
    server.use(
      statsHandler(idleStats()),
      http.get(`${ORIGIN}/v1/audit`, () => HttpResponse.json({ items: [] })),
    );
    renderDashboard('audit');
    expect((await screen.findByTestId('instance-scope')).textContent).toBe('this instance');
  });
});
