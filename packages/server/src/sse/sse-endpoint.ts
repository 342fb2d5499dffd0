import type { Clock, Topic, TopicRegistry } from '@spool/core';
import { encodeSseEvent, isEventId, SpoolError } from '@spool/core';
import type { AccessControl } from '../auth/access-control';
import { watchExpiry } from '../auth/expiry';
import type { PrincipalLimiter } from '../auth/principal-limits';
import { errorResponse } from '../http/errors';
import { SseSubscription } from './sse-subscription';

/** SSE options of `createSpool({ sse })`. */
export interface SseOptions {
  /**
   * The `retry:` field sent first: the client's reconnection delay in ms.
   * @default 2000
   */
  retryMs?: number;
  /**
   * Interval of heartbeat comments (`: hb`), which keep proxies from closing idle streams.
   * @default 15000
   */
  heartbeatIntervalMs?: number;
  /**
   * Bound of a stream's queue in bytes; past it the subscription catches up later instead.
   * @default 1048576 (1 MiB)
   */
  maxQueuedBytes?: number;
}

/** {@link SseOptions} with every field set. */
export type ResolvedSseOptions = Required<SseOptions>;

/** The defaults of {@link SseOptions}. */
export const sseDefaults: ResolvedSseOptions = Object.freeze({
  retryMs: 2000,
  heartbeatIntervalMs: 15_000,
  maxQueuedBytes: 1024 * 1024,
});

/**
 * Applies {@link sseDefaults} and validates.
 * @throws SpoolError `INVALID_OPTION`
 */
export function resolveSseOptions(options: SseOptions = {}): ResolvedSseOptions {
  const o = { ...sseDefaults };
  for (const [key, value] of Object.entries(options)) {
    if (!Object.hasOwn(sseDefaults, key)) {
      throw new SpoolError(
        'INVALID_OPTION',
        `Unknown \`sse\` option \`${key}\`; known: ${Object.keys(sseDefaults).join(', ')}.`,
      );
    }
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new SpoolError(
        'INVALID_OPTION',
        `\`sse.${key}\` must be a positive integer, got ${String(value)}.`,
      );
    }
    o[key as keyof ResolvedSseOptions] = value;
  }
  return o;
}

const encoder = new TextEncoder();

/**
 * `GET /v1/topics/:topic/events`: a topic as a `text/event-stream` Response. Resumes from
 * the `Last-Event-ID` header or the `lastEventId` query parameter (browsers cannot set
 * headers on the first request; `0-0` = everything retained); `compact=1` folds chat
 * deltas into snapshots. Cleans up when the body is cancelled or the request aborts.
 *
 * @example
 * const response = await sse.handle(request, 'chan:1:general');
 */
export class SseEndpoint {
  private readonly streams = new Set<SseSubscription>();
  /** The expiry watches of open streams, cancelled at shutdown too. */
  private readonly expiries = new Set<() => void>();
  private readonly heartbeat = encoder.encode(': hb\n\n');
  private timer: unknown;
  private closed = false;
  private closedTotals = { delivered: 0, bytesOut: 0, lagCuts: 0 };

  constructor(
    private readonly options: ResolvedSseOptions,
    private readonly access: AccessControl,
    private readonly topics: TopicRegistry,
    private readonly clock: Clock,
    private readonly principalLimits?: PrincipalLimiter,
  ) {
    this.scheduleHeartbeat();
  }

  async handle(request: Request, topic: string): Promise<Response> {
    let after: string | undefined;
    let compact: boolean;
    let t: Topic;
    let expiresAt: number | undefined;
    try {
      this.access.checkHostAndOrigin(request); // also when mounted without the router
      const principal = await this.access.authenticate(request);
      await this.access.authorize(principal, 'subscribe', topic);
      this.principalLimits?.take(principal);
      expiresAt = principal.expiresAt;
      const url = new URL(request.url);
      const resume = request.headers.get('last-event-id') ?? url.searchParams.get('lastEventId') ?? undefined;
      if (resume !== undefined && resume !== '') {
        if (!isEventId(resume)) {
          throw new SpoolError(
            'INVALID_EVENT_ID',
            `Last-Event-ID must be "<ms>-<seq>" (or "0-0" for everything retained), got ${JSON.stringify(resume)}.`,
          );
        }
        after = resume;
      }
      compact = url.searchParams.get('compact') === '1' || url.searchParams.get('compact') === 'true';
      if (this.closed) throw new SpoolError('UNAVAILABLE', 'The server is shutting down.');
      t = this.topics.getOrCreate(topic);
    } catch (err) {
      return errorResponse(err);
    }
    return this.open(request, t, after, compact, expiresAt);
  }

  private open(
    request: Request,
    t: Topic,
    after: string | undefined,
    compact: boolean,
    expiresAt: number | undefined,
  ): Response {
    const topic = t.name;
    let sub: SseSubscription | undefined;
    let cancelExpiry: (() => void) | undefined;
    const cleanup = () => {
      if (cancelExpiry) {
        cancelExpiry();
        this.expiries.delete(cancelExpiry);
      }
      if (!sub || sub.isClosed) return;
      this.streams.delete(sub);
      this.closedTotals.delivered += sub.delivered;
      this.closedTotals.bytesOut += sub.bytesOut;
      this.closedTotals.lagCuts += sub.lagCuts;
      sub.close();
    };
    const body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          const sink = {
            get desiredSize() {
              return controller.desiredSize;
            },
            enqueue: (chunk: Uint8Array) => controller.enqueue(chunk),
            close: () => controller.close(),
          };
          // The `retry:` field first, so even a client that never gets an event knows it.
          sink.enqueue(
            encoder.encode(encodeSseEvent({ retry: this.options.retryMs, comment: `topic ${topic}` })),
          );
          sub = new SseSubscription(t, sink, this.options.maxQueuedBytes, {
            after,
            compact,
            onFatal: () => {
              cleanup();
              controller.close();
            },
          });
          this.streams.add(sub);
          // Credentials that expire end the stream with `event: error` TOKEN_EXPIRED: the
          // client gets a fresh token and resumes from its Last-Event-ID (docs/security.md).
          if (expiresAt !== undefined) {
            cancelExpiry = watchExpiry(this.clock, expiresAt, () => {
              sub?.write(
                encoder.encode(
                  encodeSseEvent({
                    event: 'error',
                    data: JSON.stringify({
                      code: 'TOKEN_EXPIRED',
                      message: 'The token has expired: get a fresh one.',
                    }),
                  }),
                ),
              );
              cleanup();
              try {
                controller.close();
              } catch {
                // already closed or cancelled by the reader
              }
            });
            this.expiries.add(cancelExpiry);
          }
        },
        pull: () => {
          sub?.pulled();
        },
        cancel: cleanup,
      },
      { highWaterMark: this.options.maxQueuedBytes, size: (chunk) => chunk.byteLength },
    );
    request.signal.addEventListener('abort', cleanup, { once: true });
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
      },
    });
  }

  private scheduleHeartbeat(): void {
    this.timer = this.clock.setTimeout(() => {
      for (const sub of this.streams) {
        // Only into a queue with room: a stuck reader must not grow memory by heartbeats.
        if (!sub.isClosed && sub.hasRoomFor(this.heartbeat.byteLength)) sub.write(this.heartbeat);
      }
      if (!this.closed) this.scheduleHeartbeat();
    }, this.options.heartbeatIntervalMs);
  }

  get count(): number {
    return this.streams.size;
  }

  totals(): { connections: number; lagging: number; delivered: number; bytesOut: number; lagCuts: number } {
    let lagging = 0;
    let { delivered, bytesOut, lagCuts } = this.closedTotals;
    for (const s of this.streams) {
      if (s.lagging) lagging++;
      delivered += s.delivered;
      bytesOut += s.bytesOut;
      lagCuts += s.lagCuts;
    }
    return { connections: this.streams.size, lagging, delivered, bytesOut, lagCuts };
  }

  /** Refuses new streams (503 `UNAVAILABLE`) and keeps the open ones: the start of a shutdown. */
  refuseNew(): void {
    this.closed = true;
  }

  /** Ends every stream after what is queued for it (clients reconnect elsewhere with their Last-Event-ID). */
  close(): void {
    this.closed = true;
    this.clock.clearTimeout(this.timer);
    for (const sub of [...this.streams]) {
      this.streams.delete(sub);
      sub.endStream();
    }
    for (const cancel of this.expiries) cancel();
    this.expiries.clear();
  }
}
