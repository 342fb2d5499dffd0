import type { ChatProducer } from '@spool/core/internal';
import type { AuditLog } from '../../audit/audit-log';
import type { ServerStats } from '../../stats';
import { jsonResponse } from '../errors';
import type { RouteContext } from '../route-context';
import type { Router } from '../router';

/** What the operators' routes read of the server. */
export interface OperatorRouteDeps {
  /** The operators' snapshot, as `$sys` pushes it. */
  stats(): Promise<ServerStats>;
  /** The chat pipeline's dead letters, and their replay. */
  readonly messages: Pick<ChatProducer, 'deadLetters' | 'replayDeadLetters'>;
  /** The audited operator actions (docs/security.md, "Audit log"). */
  readonly audit: Pick<AuditLog, 'recent'>;
}

/**
 * The operators' routes besides `/healthz`, `/readyz` and `/metrics` (each registered on
 * its own):
 * - `GET /v1/stats` (admin): the `SpoolStats` snapshot that `$sys` pushes every second;
 * - `GET /v1/audit` (admin): the most recent audited operator actions, newest first;
 * - `GET /v1/dead-letters` (admin): messages whose save failed, waiting for a replay;
 * - `POST /v1/dead-letters/replay` (admin): saves them again now (the server also does
 *   it every `deadLetterReplayMs`), docs/http-api.md "Dead letters".
 *
 * @example registerOperatorRoutes(router, { stats: () => spool.stats(), messages, audit });
 */
export function registerOperatorRoutes(router: Router<RouteContext>, deps: OperatorRouteDeps): void {
  const { messages, audit } = deps;
  router.get('/v1/stats', async () => jsonResponse(await deps.stats()), {
    access: 'admin',
  });
  router.get(
    '/v1/dead-letters',
    () =>
      jsonResponse({
        items: messages.deadLetters.map(({ message: _m, ...letter }) => letter),
      }),
    { access: 'admin' },
  );
  router.post('/v1/dead-letters/replay', async () => jsonResponse(await messages.replayDeadLetters()), {
    access: 'admin',
  });
  router.get('/v1/audit', () => jsonResponse({ items: audit.recent() }), {
    access: 'admin',
  });
}
