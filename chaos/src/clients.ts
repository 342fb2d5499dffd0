/**
 * The three real clients of the scenarios, each feeding a {@link SubscriberCheck}: the SDK
 * over WebSocket, the SDK's SSE subscription, and the `eventsource` package (what a
 * browser's EventSource does, resuming with Last-Event-ID on its own).
 */
import { assembleChannel, SpoolClient, type SpoolClientOptions } from '@spool/client';
import { type SseSubscription, subscribeSse } from '@spool/client/sse';
import { EventSource } from 'eventsource';
import { WebSocket } from 'ws';
import { SubscriberCheck } from './workload';

export type ClientKind = 'sdk-ws' | 'sdk-sse' | 'eventsource';

export interface CheckedClient {
  kind: ClientKind;
  check: SubscriberCheck;
  /** True while the client has a connection up. */
  isOpen(): boolean;
  /** The SDK's own view of a message (its assembler's status), for the SDK kinds. */
  status?(messageId: string): { status: string; reason?: string | undefined; text: string };
  close(): void;
}

/** Fast reconnects, so many cuts fit in CI time; full jitter as in production. */
export const fastBackoff = { baseMs: 5, maxMs: 50 };

export function sdkClient(url: string, options: Partial<SpoolClientOptions> = {}): SpoolClient {
  return new SpoolClient(url, {
    WebSocket: WebSocket as unknown as SpoolClientOptions['WebSocket'],
    backoff: fastBackoff,
    livenessTimeoutMs: 10_000,
    ...options,
  });
}

/**
 * Random numbers for a client given several URLs whose first, the one that picks the URL it
 * starts on, is 0: it starts on the first of its list (the SDK starts on a random one;
 * docs/protocol.md, "Several server URLs"), and draws at random from then on.
 */
export function startOnFirstUrl(): () => number {
  let drawn = 0;
  return () => (drawn++ === 0 ? 0 : Math.random());
}

const CHAT_EVENTS = ['msg.open', 'msg.delta', 'msg.end', 'msg.snapshot'];

/** Subscribes one client of `kind` to `topic` from `after`, through the instance at `port`. */
export function checkedClient(
  kind: ClientKind,
  port: number,
  topic: string,
  name: string,
  options: {
    after?: string;
    compact?: boolean;
    backoff?: typeof fastBackoff;
    livenessTimeoutMs?: number;
  } = {},
): CheckedClient {
  const check = new SubscriberCheck(name);
  const after = options.after ?? '0-0';
  const backoff = options.backoff ?? fastBackoff;
  if (kind === 'sdk-ws') {
    const client = sdkClient(`ws://127.0.0.1:${port}/v1/ws`, {
      backoff,
      livenessTimeoutMs: options.livenessTimeoutMs ?? 10_000,
    });
    client.subscribe(topic, {
      after,
      compact: options.compact ?? false,
      onEvent: (e) => check.add(e),
      onReset: (earliest) => check.reset(earliest),
    });
    return {
      kind,
      check,
      isOpen: () => client.state === 'open',
      status: (id) => client.message(id).getSnapshot(),
      close: () => client.close(),
    };
  }
  if (kind === 'sdk-sse') {
    const sub: SseSubscription = subscribeSse(`http://127.0.0.1:${port}`, topic, {
      after,
      compact: options.compact ?? false,
      backoff,
      livenessTimeoutMs: options.livenessTimeoutMs ?? 10_000,
      onEvent: (e) => check.add(e),
      onReset: (earliest) => check.reset(earliest),
    });
    const channel = assembleChannel(sub);
    return {
      kind,
      check,
      isOpen: () => sub.state === 'open',
      status: (id) => channel.message(id).getSnapshot(),
      close: () => sub.unsubscribe(),
    };
  }
  // The browser API: `lastEventId` only for the first request, then its own Last-Event-ID.
  const source = new EventSource(
    `http://127.0.0.1:${port}/v1/topics/${encodeURIComponent(topic)}/events?lastEventId=${after}`,
  );
  for (const event of CHAT_EVENTS)
    source.addEventListener(event, (e) => check.add({ id: e.lastEventId, event, data: JSON.parse(e.data) }));
  source.addEventListener('reset', (e) => check.reset((JSON.parse(e.data) as { earliest: string }).earliest));
  return {
    kind,
    check,
    isOpen: () => source.readyState === EventSource.OPEN,
    close: () => source.close(),
  };
}

/** Polls `cond` every few ms until it holds, or fails after `timeoutMs` naming `what`. */
export async function until(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
