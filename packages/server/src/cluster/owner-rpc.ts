import { randomUUID } from 'node:crypto';
import { type ErrorCode, SpoolError } from '@spool/core';
import type { Redis } from 'ioredis';
import { toSpoolError } from '../broker/redis-errors';
import type { InstanceRef } from './membership';

/** A forwarded write: its operation name and JSON arguments. */
export interface RpcRequest {
  op: string;
  args: Record<string, unknown>;
}

interface Envelope extends RpcRequest {
  rid: string;
  /** The caller's reply channel. */
  reply: string;
}

interface Reply {
  rid: string;
  ok: boolean;
  value?: unknown;
  code?: string;
  message?: string;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Defaults of {@link OwnerRpc}. */
export const ownerRpcDefaults = Object.freeze({ timeoutMs: 5000 });

/**
 * Request/reply between instances over Redis pub/sub (docs/architecture.md, "Messages
 * across instances"): each incarnation listens on `<prefix>rpc:<incarnation>` for requests
 * and on `<prefix>rpc-reply:<incarnation>` for the answers to its own. Pub/sub delivers at
 * most once, so the caller bounds the wait: no subscriber, or no answer within the
 * timeout, is `OWNER_UNREACHABLE`. Forwarded writes are safe to retry (chunk IDs dedupe,
 * an end of an ended message is refused), so a lost reply costs one retry.
 *
 * @example
 * const rpc = new OwnerRpc(redis, subscriber, 'spool:', self, (req) => handle(req));
 * await rpc.start();
 * await rpc.call(owner.incarnation, { op: 'end', args: { messageId, reason: 'cancelled' } });
 */
export class OwnerRpc {
  private readonly pending = new Map<string, Pending>();
  private requests: string;
  private replies: string;

  constructor(
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    private readonly prefix: string,
    self: InstanceRef,
    private readonly handle: (req: RpcRequest) => Promise<unknown>,
    private readonly timeoutMs: number = ownerRpcDefaults.timeoutMs,
  ) {
    this.requests = `${prefix}rpc:${self.incarnation}`;
    this.replies = `${prefix}rpc-reply:${self.incarnation}`;
  }

  async start(): Promise<void> {
    this.subscriber.on('message', (channel: string, raw: string) => {
      if (channel === this.requests) void this.serve(raw);
      else if (channel === this.replies) this.settle(raw);
    });
    await this.subscriber.subscribe(this.requests, this.replies);
  }

  /**
   * Listens as another incarnation of this instance from now on (a rejoin after an eviction):
   * requests to the old one find no listener (`OWNER_UNREACHABLE`), as for a dead incarnation.
   */
  async rebind(self: InstanceRef): Promise<void> {
    const old = [this.requests, this.replies];
    this.requests = `${this.prefix}rpc:${self.incarnation}`;
    this.replies = `${this.prefix}rpc-reply:${self.incarnation}`;
    await this.subscriber.subscribe(this.requests, this.replies);
    await this.subscriber.unsubscribe(...old);
  }

  /** Sends `req` to the incarnation and resolves with its answer, or rejects with its error. */
  call(incarnation: string, req: RpcRequest): Promise<unknown> {
    const rid = randomUUID();
    const envelope: Envelope = { ...req, rid, reply: this.replies };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        reject(unreachable(incarnation, `no answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(rid, { resolve, reject, timer });
      this.redis.publish(`${this.prefix}rpc:${incarnation}`, JSON.stringify(envelope)).then(
        (receivers) => {
          if (receivers === 0) this.fail(rid, unreachable(incarnation, 'it is not listening'));
        },
        (err: unknown) => this.fail(rid, toSpoolError(err, this.prefix)),
      );
    });
  }

  async close(): Promise<void> {
    for (const [rid] of this.pending)
      this.fail(rid, new SpoolError('OWNER_UNREACHABLE', 'This instance is shutting down.'));
    await this.subscriber.unsubscribe(this.requests, this.replies).catch(() => {});
  }

  private fail(rid: string, err: unknown): void {
    const p = this.pending.get(rid);
    if (!p) return;
    this.pending.delete(rid);
    clearTimeout(p.timer);
    p.reject(err);
  }

  private settle(raw: string): void {
    const reply = JSON.parse(raw) as Reply;
    const p = this.pending.get(reply.rid);
    if (!p) return; // timed out already
    this.pending.delete(reply.rid);
    clearTimeout(p.timer);
    if (reply.ok) p.resolve(reply.value);
    else
      p.reject(new SpoolError((reply.code ?? 'INTERNAL') as ErrorCode, reply.message ?? 'The owner failed.'));
  }

  private async serve(raw: string): Promise<void> {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(raw) as Envelope;
    } catch {
      return;
    }
    let reply: Reply;
    try {
      const value = await this.handle({ op: envelope.op, args: envelope.args });
      reply = { rid: envelope.rid, ok: true, value };
    } catch (err) {
      const code = err instanceof SpoolError ? err.code : 'INTERNAL';
      const message = err instanceof Error ? err.message : String(err);
      reply = { rid: envelope.rid, ok: false, code, message };
    }
    await this.redis.publish(envelope.reply, JSON.stringify(reply)).catch(() => {});
  }
}

function unreachable(incarnation: string, why: string): SpoolError {
  return new SpoolError(
    'OWNER_UNREACHABLE',
    `The instance that owns this message (incarnation ${incarnation}) cannot be reached: ${why}. Retry; if it died, its messages are ended by a takeover.`,
  );
}
