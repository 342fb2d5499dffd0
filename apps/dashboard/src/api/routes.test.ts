import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { ORIGIN } from '../test/render';
import { server } from '../test/server';
import { createHttp } from './http';
import { createSpoolApi } from './routes';

describe('createSpoolApi', () => {
  it('URL-encodes topic-like keys and 64-bit message IDs as path segments', async () => {
    const paths: string[] = [];
    server.use(
      http.all(`${ORIGIN}/v1/*`, ({ request }) => {
        paths.push(`${request.method} ${new URL(request.url).pathname}`);
        return HttpResponse.json({});
      }),
    );
    const api = createSpoolApi(createHttp({ baseUrl: ORIGIN }));
    await api.getStream('spool:completed');
    await api.endMessage('1843563473929170944', 'force');
    await api.endChannel(2, 'team/a b');
    await api.deleteConsumer('spool:completed', 'workers', 'w 1');
    expect(paths).toEqual([
      'GET /v1/streams/spool%3Acompleted',
      'POST /v1/messages/1843563473929170944/end',
      'POST /v1/channels/2/team%2Fa%20b/end',
      'DELETE /v1/streams/spool%3Acompleted/groups/workers/consumers/w%201',
    ]);
  });
});
