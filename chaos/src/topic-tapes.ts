/**
 * Plain topics in the cluster scenarios: events POSTed over HTTP, and a tape per reader
 * (the SDK over WebSocket or SSE, or the `eventsource` package) recording event IDs and
 * resets in arrival order, so a scenario can compare them with what was published.
 */
import { type SseSubscription, subscribeSse } from '@spool/client/sse';
import { EventSource } from 'eventsource';
import { sdkClient } from './clients';

/** How one POST went: the status (0: no response) and, on 201, the event's ID. */
export interface Published {
  status: number;
  id?: string;
  /** The network error or timeout when there was no response. */
  error?: string;
}

/**
 * POSTs one event; `timeoutMs` gives up waiting for the answer (status 0); `key` is the
 * idempotency key (docs/http-api.md, "Topics").
 */
export async function publish(
  base: string,
  topic: string,
  data: unknown,
  options: { timeoutMs?: number; key?: string } = {},
): Promise<Published> {
  const { timeoutMs, key } = options;
  let res: Response;
  try {
    res = await fetch(`${base}/v1/topics/${encodeURIComponent(topic)}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(key === undefined ? { data } : { data, key }),
      ...(timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(timeoutMs) }),
    });
  } catch (err) {
    return { status: 0, error: err instanceof Error ? err.name : String(err) };
  }
  let body: { id?: string };
  try {
    body = (await res.json()) as { id?: string };
  } catch (err) {
    // The timeout can fire after the answer's head and before its body: that is no answer
    // either, so the caller retries with the same key instead of reading a 201 without an ID.
    const name = err instanceof Error ? err.name : String(err);
    if (name === 'TimeoutError' || name === 'AbortError') return { status: 0, error: name };
    body = {};
  }
  return body.id === undefined ? { status: res.status } : { status: res.status, id: body.id };
}

/** POSTs one event and returns its ID; throws unless the answer is 201. */
export async function mustPublish(base: string, topic: string, data: unknown): Promise<string> {
  const { status, id } = await publish(base, topic, data);
  if (status !== 201 || id === undefined) throw new Error(`publish on ${base}: ${status}`);
  return id;
}

/** A plain topic's record on one client: IDs and resets (`reset <earliest>`), in arrival order. */
export interface Tape {
  entries: string[];
  ids(): string[];
  data: Map<string, unknown>;
}

function tape(): Tape {
  const entries: string[] = [];
  return {
    entries,
    ids: () => entries.filter((e) => !e.startsWith('reset ')),
    data: new Map(),
  };
}

/** A tape and the function that ends its subscription. */
export interface TapeReader {
  tape: Tape;
  close(): void;
}

/** The `eventsource` package on `topic` of `base`, from `lastEventId`, onto a tape. */
export function eventSourceTape(base: string, topic: string, after: string): TapeReader {
  const t = tape();
  const source = new EventSource(
    `${base}/v1/topics/${encodeURIComponent(topic)}/events?lastEventId=${encodeURIComponent(after)}`,
  );
  source.addEventListener('message', (e) => {
    t.entries.push(e.lastEventId);
    t.data.set(e.lastEventId, JSON.parse(e.data));
  });
  source.addEventListener('reset', (e) =>
    t.entries.push(`reset ${(JSON.parse(e.data) as { earliest: string }).earliest}`),
  );
  return { tape: t, close: () => source.close() };
}

/** The SDK over WebSocket on `topic` of the instance at `port`, onto a tape. */
export function sdkTape(port: number, topic: string, after: string): TapeReader {
  const t = tape();
  const client = sdkClient(`ws://127.0.0.1:${port}/v1/ws`);
  client.subscribe(topic, {
    after,
    onEvent: (e) => {
      t.entries.push(e.id);
      t.data.set(e.id, e.data);
    },
    onReset: (earliest) => t.entries.push(`reset ${earliest}`),
  });
  return { tape: t, close: () => client.close() };
}

/** The SDK's SSE subscription on `topic` of `base`, onto a tape. */
export function sseTape(base: string, topic: string, after: string): TapeReader {
  const t = tape();
  const sub: SseSubscription = subscribeSse(base, topic, {
    after,
    backoff: { baseMs: 5, maxMs: 50 },
    livenessTimeoutMs: 10_000,
    onEvent: (e) => {
      t.entries.push(e.id);
      t.data.set(e.id, e.data);
    },
    onReset: (earliest) => t.entries.push(`reset ${earliest}`),
  });
  return { tape: t, close: () => sub.unsubscribe() };
}

/** True when the IDs (`<ms>-<seq>`) are strictly increasing: no duplicate, nothing out of order. */
export function strictlyIncreasing(ids: string[]): boolean {
  const key = (id: string) => id.split('-').map(Number) as [number, number];
  for (let i = 1; i < ids.length; i++) {
    const [am, as] = key(ids[i - 1]!);
    const [bm, bs] = key(ids[i]!);
    if (!(bm > am || (bm === am && bs > as))) return false;
  }
  return true;
}
