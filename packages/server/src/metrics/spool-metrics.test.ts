import { afterEach, describe, expect, it } from 'vitest';
import { apiOf, tokenSpool } from '../http/routes/__tests__/route-kit';
import { listen } from '../node/attach';
import { installMetrics } from '../node/install-metrics';
import { createSpoolInstance, type SpoolInstance } from '../spool';
import { parsePrometheusText } from './__tests__/prometheus-text';

let spools: SpoolInstance[] = [];
afterEach(async () => {
  await Promise.all(spools.map((s) => s.close()));
  spools = [];
});

const EXPECTED_TYPES: Record<string, string> = {
  spool_connections: 'gauge',
  spool_subscriptions: 'gauge',
  spool_lagging_connections: 'gauge',
  spool_lag_cuts_total: 'counter',
  spool_topics: 'gauge',
  spool_events_published_total: 'counter',
  spool_events_delivered_total: 'counter',
  spool_delivered_bytes_total: 'counter',
  spool_cache_memory_bytes: 'gauge',
  spool_cache_memory_limit_bytes: 'gauge',
  spool_cache_streams: 'gauge',
  spool_cache_streams_limit: 'gauge',
  spool_cache_chunks: 'gauge',
  spool_cache_streams_ended_total: 'counter',
  spool_cache_completed_total: 'counter',
  spool_cache_completion_failures_total: 'counter',
  spool_cache_dead_lettered_total: 'counter',
  spool_broker_stream_length: 'gauge',
  spool_broker_group_pending: 'gauge',
  spool_broker_group_lag: 'gauge',
  spool_broker_group_consumers: 'gauge',
  spool_circuit_breaker_state: 'gauge',
  spool_http_request_duration_seconds: 'histogram',
};

function value(
  families: ReturnType<typeof parsePrometheusText>,
  name: string,
  labels: Record<string, string> = {},
) {
  const family = families.get(name.replace(/_(bucket|sum|count)$/, '')) ?? families.get(name);
  const sample = family?.samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return sample?.value;
}

describe('GET /metrics', () => {
  it('parses as Prometheus text with every expected metric name and type', async () => {
    const spool = tokenSpool();
    installMetrics(spool);
    spools.push(spool);
    const api = apiOf(spool, 'user');
    await api.post('/v1/topics/news/events', { data: { a: 1 } });
    await api.post('/v1/topics/news/events', { data: { a: 2 } });
    const { messageId } = (
      await api.post<{ messageId: string }>('/v1/messages', { channelId: 'g', channelType: 1 })
    ).body;
    await api.post(`/v1/messages/${messageId}/chunks`, { chunkId: 0, text: 'hello' });
    const open = await spool.fetch(
      new Request('http://spool.test/metrics', { headers: { authorization: 'Bearer user-token-0001' } }),
    );
    expect(open.status).toBe(200);
    expect(open.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const during = parsePrometheusText(await open.text());
    for (const [name, type] of Object.entries(EXPECTED_TYPES))
      expect([name, during.get(name)?.type]).toEqual([name, type]);
    expect(value(during, 'spool_cache_streams')).toBe(1);
    expect(value(during, 'spool_cache_chunks')).toBe(1);
    expect(value(during, 'spool_cache_memory_bytes')).toBeGreaterThan(5);
    expect(value(during, 'spool_cache_memory_limit_bytes')).toBe(spool.cache.getStats().maxMemoryBytes);
    expect(value(during, 'spool_events_published_total', { source: 'publish' })).toBe(2);
    expect(value(during, 'spool_events_published_total', { source: 'chat' })).toBe(2); // msg.open, one msg.delta
    expect(value(during, 'spool_circuit_breaker_state', { breaker: 'store' })).toBe(0);
    expect(
      value(during, 'spool_http_request_duration_seconds_count', {
        method: 'POST',
        route: '/v1/topics/:topic/events',
        status: '201',
      }),
    ).toBe(2);

    // A consumer group on spool:completed: its length, pending and lag follow.
    await spool.broker.xgroupCreate('spool:completed', 'workers', '0', { mkStream: true });
    await api.post(`/v1/messages/${messageId}/end`, { reason: 'success' });
    await expect.poll(() => spool.broker.xlen('spool:completed')).toBe(1);
    const after = parsePrometheusText((await api.get<string>('/metrics')).body);
    expect(value(after, 'spool_cache_streams')).toBe(0);
    expect(value(after, 'spool_cache_completed_total')).toBe(1);
    expect(value(after, 'spool_cache_streams_ended_total', { reason: 'success' })).toBe(1);
    expect(value(after, 'spool_broker_stream_length', { stream: 'spool:completed' })).toBe(1);
    expect(value(after, 'spool_broker_group_lag', { stream: 'spool:completed', group: 'workers' })).toBe(1);
    expect(value(after, 'spool_broker_group_pending', { stream: 'spool:completed', group: 'workers' })).toBe(
      0,
    );
    await spool.broker.xreadgroup('workers', 'w1', [['spool:completed', '>']]);
    const read = parsePrometheusText((await api.get<string>('/metrics')).body);
    expect(value(read, 'spool_broker_group_pending', { stream: 'spool:completed', group: 'workers' })).toBe(
      1,
    );
    expect(value(read, 'spool_broker_group_consumers', { stream: 'spool:completed', group: 'workers' })).toBe(
      1,
    );
    // Counters never go back, and a counter is not counted twice across scrapes.
    expect(value(read, 'spool_events_published_total', { source: 'publish' })).toBe(2);
    expect(value(read, 'spool_events_published_total', { source: 'chat' })).toBe(3);
  });

  it('keeps a registry per Spool instance', async () => {
    const a = createSpoolInstance();
    const b = createSpoolInstance();
    spools.push(a, b);
    installMetrics(a);
    installMetrics(b);
    await a.publish('t', 1);
    const textA = parsePrometheusText(await a.metrics.text());
    const textB = parsePrometheusText(await b.metrics.text());
    expect(value(textA, 'spool_events_published_total', { source: 'publish' })).toBe(1);
    expect(value(textB, 'spool_events_published_total', { source: 'publish' })).toBe(0);
    expect(installMetrics(a).registry).not.toBe(installMetrics(b).registry);
  });

  it('needs a token when tokens are set, and sends unusual methods to one label', async () => {
    const spool = tokenSpool();
    installMetrics(spool);
    spools.push(spool);
    const anonymous = await apiOf(spool, 'nobody').get('/metrics');
    expect(anonymous.status).toBe(401);
    await spool.fetch(new Request('http://localhost/v1/nope', { method: 'PROPFIND' }));
    const families = parsePrometheusText(await spool.metrics.text());
    expect(
      value(families, 'spool_http_request_duration_seconds_count', {
        method: 'OTHER',
        route: 'unmatched',
        status: '404',
      }),
    ).toBe(1);
  });
});

describe('installing the metrics', () => {
  it('answers 404 NOT_FOUND on /metrics until installMetrics, then the same metrics on every call', async () => {
    const spool = tokenSpool();
    spools.push(spool);
    const before = await apiOf(spool).get('/metrics');
    expect(before.status).toBe(404);
    expect(before.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const metrics = installMetrics(spool);
    expect(installMetrics(spool)).toBe(metrics);
    const after = await apiOf(spool).get('/metrics');
    expect(after.status).toBe(200);
    // Requests before the install were not timed; the one that read the metrics was.
    expect(
      value(parsePrometheusText(await metrics.text()), 'spool_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/metrics',
        status: '200',
      }),
    ).toBe(1);
  });

  it('is installed by listen, so a served Spool answers GET /metrics', async () => {
    const spool = createSpoolInstance();
    const served = await listen(spool, { host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`${served.url}/metrics`);
      expect(res.status).toBe(200);
      expect(parsePrometheusText(await res.text()).has('spool_connections')).toBe(true);
    } finally {
      await served.close();
    }
  });
});

describe('spool_lag_cuts_total', () => {
  it('counts subscriptions cut back to catchup, and keeps counting after they close', async () => {
    const spool = createSpoolInstance({ sse: { maxQueuedBytes: 1024 } });
    spools.push(spool);
    installMetrics(spool);
    const res = await spool.fetch(new Request('http://localhost/v1/topics/firehose/events'));
    expect(res.status).toBe(200);
    // Nobody reads the body: a few KiB of events fill its 1 KiB queue while it is live.
    for (let i = 0; i < 10; i++) await spool.publish('firehose', { blob: 'x'.repeat(500) });
    const during = parsePrometheusText(await spool.metrics.text());
    expect(value(during, 'spool_lag_cuts_total', { transport: 'sse' })).toBe(1);
    expect(value(during, 'spool_lag_cuts_total', { transport: 'ws' })).toBe(0);
    expect(value(during, 'spool_lagging_connections', { transport: 'sse' })).toBe(1);
    await res.body!.cancel();
    const after = parsePrometheusText(await spool.metrics.text());
    expect(value(after, 'spool_lag_cuts_total', { transport: 'sse' })).toBe(1);
    expect(value(after, 'spool_connections', { transport: 'sse' })).toBe(0);
  });
});

describe('the parser itself', () => {
  it('rejects malformed exposition text', () => {
    expect(() => parsePrometheusText('# TYPE x gauge\nx{a="1" 2\n')).toThrow();
    expect(() => parsePrometheusText('y 1\n')).toThrow(/no TYPE/);
    expect(() => parsePrometheusText('# TYPE x gauge\nx one\n')).toThrow(/bad value/);
    expect(parsePrometheusText('# HELP x h\n# TYPE x gauge\nx{a="q\\"r"} 1.5\n').get('x')?.samples).toEqual([
      { name: 'x', labels: { a: 'q"r' }, value: 1.5 },
    ]);
  });
});
