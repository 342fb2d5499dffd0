import {
  channelTopic,
  type MessageId,
  type OpenMessageSnapshot,
  SpoolError,
  toMessageId,
  type WireEndReason,
  type WireStreamMeta,
} from '@spool/core';
import type {
  ClaimResult,
  MessageCluster,
  MessageDirectory,
  MetaPatch,
  OpenMessageRecord,
  WireChunk,
} from '@spool/core/internal';
import { applyMetaPatch, toWireMeta } from '@spool/core/internal';
import type { Redis } from 'ioredis';
import { type Principal, SYSTEM } from '../auth/principal';
import type { SpoolParts } from '../server-parts';
import type { ClusterMembership, InstanceRef } from './membership';
import { ENDED_WINDOW_SECONDS, MessageRecords, type PlacedChunk } from './message-records';
import { OwnerRpc, ownerRpcDefaults, type RpcRequest } from './owner-rpc';
import { finishTakenOver, type TakenOverMessage, takeOver } from './takeover';

/** The server a {@link ClusterMessages} serves: its parts, and the switch into cluster mode. */
export interface ClusterHost extends SpoolParts {
  useCluster(cluster: MessageCluster & MessageDirectory): void;
}

export interface ClusterMessagesOptions {
  host: ClusterHost;
  /** Commands and scripts (shared with nothing that blocks). */
  redis: Redis;
  /** A connection of its own for pub/sub (it cannot run commands once subscribed). */
  subscriber: Redis;
  /** `SPOOL_REDIS_PREFIX`. */
  keyPrefix: string;
  membership: ClusterMembership;
  /** Wait for a forwarded write's answer. @default 5000 */
  forwardTimeoutMs?: number;
  /** How long an ended ID is refused on every instance (s). @default 86400 */
  endedWindowSeconds?: number;
}

/** A principal as it travels in a forwarded write: the server's own producers stay {@link SYSTEM}. */
type WirePrincipal = { system: true } | { principal: Principal };

/**
 * Messages across instances (docs/architecture.md, "Messages across instances"): the owner
 * records that fence every write, the forwarding of writes that arrive on a non-owner, the
 * shared reads, and the takeover of a dead incarnation's open messages.
 *
 * @example
 * const cluster = await ClusterMessages.start({ host: spool, redis, subscriber, keyPrefix: 'spool:', membership });
 * // ... serve ...
 * await spool.close();
 * await cluster.close();
 */
export class ClusterMessages implements MessageCluster, MessageDirectory {
  readonly records: MessageRecords;
  private readonly rpc: OwnerRpc;
  /** This instance's incarnation as the membership has it now (a rejoin changes it). */
  private readonly self: InstanceRef;
  private stopRejoinListening: (() => void) | undefined;
  private stopRejoining: (() => void) | undefined;
  private stopListening: (() => void) | undefined;
  private readonly takeovers = new Set<Promise<unknown>>();
  /** Placements no chunk has carried yet (see {@link placed}), and the timer that records them. */
  private readonly unplaced = new Map<string, { placed: PlacedChunk; at: number }>();
  private placeTimer: NodeJS.Timeout | undefined;
  /** Ends the waits of takeovers whose claim another survivor holds. */
  private readonly closing = new AbortController();
  /** Takeovers claiming or ending messages now, and who waits for none to be. */
  private claiming = 0;
  private whenIdle: Array<() => void> = [];
  /**
   * Taken-over messages whose ending failed part-way (Redis or the store failing at that
   * moment). Their records name this incarnation, so no other survivor ends them while it
   * lives: they are tried again every {@link TAKEOVER_RETRY_AFTER_ERROR_MS} until they end.
   */
  private readonly unfinished = new Map<string, TakenOverMessage>();
  private unfinishedTimer: NodeJS.Timeout | undefined;

  private constructor(private readonly o: ClusterMessagesOptions) {
    const membership = o.membership;
    this.self = {
      get instanceId() {
        return membership.self.instanceId;
      },
      get incarnation() {
        return membership.self.incarnation;
      },
    };
    this.records = new MessageRecords(
      o.redis,
      o.keyPrefix,
      this.self,
      o.endedWindowSeconds ?? ENDED_WINDOW_SECONDS,
    );
    this.rpc = new OwnerRpc(
      o.redis,
      o.subscriber,
      o.keyPrefix,
      this.self,
      (req) => this.handle(req),
      o.forwardTimeoutMs ?? ownerRpcDefaults.timeoutMs,
    );
  }

  /** Listens for forwarded writes and dead incarnations, and puts the host in cluster mode. */
  static async start(options: ClusterMessagesOptions): Promise<ClusterMessages> {
    const cluster = new ClusterMessages(options);
    await cluster.rpc.start();
    cluster.stopListening = options.membership.onIncarnationDead((dead) => {
      const run = cluster
        .takeOver(dead)
        .catch((err: unknown) =>
          options.host.logger.error({ err, dead }, 'taking over a dead incarnation failed'),
        );
      cluster.takeovers.add(run);
      void run.finally(() => cluster.takeovers.delete(run));
    });
    // A rejoin after an eviction, before `self` changes: the evicted incarnation's messages
    // open here move to the new one, unless another instance claimed them first.
    cluster.stopRejoining = options.membership.onRejoining?.((next, previous) =>
      cluster.keepOwn(next, previous),
    );
    // Then forwarded writes come to the new incarnation.
    cluster.stopRejoinListening = options.membership.onRejoined?.((self, previous) => {
      options.host.logger.warn({ self, previous }, 'rejoined the cluster as a new incarnation');
      cluster.rpc
        .rebind(self)
        .catch((err: unknown) =>
          options.host.logger.error(
            { err, self },
            'listening for forwarded writes as the new incarnation failed',
          ),
        );
    });
    options.host.useCluster(cluster);
    return cluster;
  }

  /** Stops listening (call after the host closed: its last completions still write records). */
  async close(): Promise<void> {
    this.stopListening?.();
    this.stopRejoinListening?.();
    this.stopRejoining?.();
    this.closing.abort();
    clearTimeout(this.placeTimer);
    clearTimeout(this.unfinishedTimer);
    this.unplaced.clear();
    await Promise.allSettled([...this.takeovers]);
    await this.rpc.close();
    if (this.unfinished.size > 0)
      this.o.host.logger.error(
        { messageIds: [...this.unfinished.keys()], incarnation: this.self.incarnation },
        'taken-over messages did not finish ending: this incarnation is handed over, and the survivors that take it over end them',
      );
  }

  /**
   * Taken-over messages not ended yet (their ending failed part-way and is being retried). A
   * process that closes with some leaves its incarnation to the survivors' takeover
   * (`ClusterMembership.close({ handOver: true })`) instead of forgetting it.
   */
  get unfinishedEndings(): number {
    return this.unfinished.size;
  }

  /**
   * Waits until no takeover is claiming or ending messages (tests). One that waits for another
   * survivor's claim to run out does not count.
   */
  async settled(): Promise<void> {
    while (this.claiming > 0) await new Promise<void>((resolve) => this.whenIdle.push(resolve));
  }

  // ---- MessageCluster: the owner's side, called by ChatProducer ----

  async claim(
    messageId: string,
    topic: string,
    meta: WireStreamMeta,
    principal: Principal,
  ): Promise<ClaimResult> {
    const outcome = await this.records.claim(messageId, topic, meta, principalKey(principal));
    if (outcome.kind !== 'moved') return outcome;
    // The old owner is fenced by the record already; telling it lets it drop its state now.
    this.rpc.call(outcome.from.incarnation, { op: 'release', args: { messageId } }).catch(() => {});
    this.o.host.logger.info(
      { messageId, from: outcome.from },
      'a producer moved its message to this instance',
    );
    const chunks = await this.records.chunks(messageId);
    return { kind: 'moved', firstEventId: outcome.firstEventId, meta: outcome.meta, chunks };
  }

  opened(messageId: string, firstEventId: string, meta: WireStreamMeta): Promise<void> {
    return this.records.guard(messageId, { firstEventId, meta: JSON.stringify(meta) });
  }

  abandon(messageId: string): Promise<void> {
    return this.records.abandon(messageId);
  }

  async orphaned(messageId: string): Promise<void> {
    this.o.host.logger.error(
      { messageId },
      'a moved message could not be taken in here; it ends with reason error',
    );
    const taken = await takeOver(this.records, messageId, this.self.incarnation);
    if (taken) await this.endTaken(taken);
  }

  append(
    messageId: string,
    chunkId: number,
    payload: string | Uint8Array,
    placed?: PlacedChunk,
  ): Promise<void> {
    // This chunk carries the placement: no write of its own is due.
    this.unplaced.delete(messageId);
    return this.records.append(messageId, chunkId, payload, placed);
  }

  placed(messageId: string, placed: PlacedChunk): void {
    this.unplaced.set(messageId, { placed, at: Date.now() });
    this.placeTimer ??= this.armPlacing(PLACE_AFTER_MS);
  }

  private armPlacing(ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.flushPlaced(), ms);
    timer.unref();
    return timer;
  }

  /**
   * Records the placements no chunk carried within {@link PLACE_AFTER_MS}: a reply that paused
   * (or sent its last chunk) is placed whole for snapshots on other instances, instead of one
   * chunk behind. One script per pause; a reply whose chunks come faster costs nothing more.
   */
  private flushPlaced(): void {
    this.placeTimer = undefined;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [messageId, { placed, at }] of this.unplaced) {
      if (now - at < PLACE_AFTER_MS) {
        next = Math.min(next, at + PLACE_AFTER_MS - now);
        continue;
      }
      this.unplaced.delete(messageId);
      this.records.place(messageId, placed).catch((err: unknown) => {
        // Ended, fenced or moved meanwhile: the record is not this owner's to place any more.
        if (!(err instanceof SpoolError)) {
          this.o.host.logger.warn({ err, messageId }, "recording where a message's deltas landed failed");
        }
      });
    }
    if (next !== Number.POSITIVE_INFINITY) this.placeTimer = this.armPlacing(Math.max(1, next));
  }

  async openSnapshots(topic: string, skip: (messageId: string) => boolean): Promise<OpenMessageSnapshot[]> {
    return (await this.records.snapshots(topic, skip)).map((r) => ({
      snapshot: {
        messageId: r.messageId as MessageId,
        meta: r.meta,
        text: r.text,
        lastChunkId: r.lastChunkId,
        status: 'streaming',
      },
      firstEventId: r.firstEventId,
      lastEventId: r.lastEventId,
    }));
  }

  updateMeta(messageId: string, meta: WireStreamMeta): Promise<void> {
    return this.records.guard(messageId, { meta: JSON.stringify(meta) });
  }

  completing(messageId: string): Promise<void> {
    return this.records.guard(messageId);
  }

  finished(messageId: string, reason: WireEndReason): Promise<void> {
    this.unplaced.delete(messageId);
    return this.records.finish(messageId, reason);
  }

  async forwardAppend(
    messageId: string,
    chunkId: number,
    chunk: WireChunk,
    principal: Principal,
  ): Promise<string> {
    const owner = await this.ownerOf(messageId);
    return (await this.rpc.call(owner, {
      op: 'append',
      args: { messageId, chunkId, chunk, principal: toWirePrincipal(principal) },
    })) as string;
  }

  async forwardEnd(messageId: string, reason: WireEndReason, principal: Principal): Promise<void> {
    const owner = await this.ownerOf(messageId);
    await this.rpc.call(owner, {
      op: 'end',
      args: { messageId, reason, principal: toWirePrincipal(principal) },
    });
  }

  // ---- MessageDirectory: the routes' side ----

  read(messageId: string): Promise<OpenMessageRecord | undefined> {
    return this.records.read(messageId);
  }

  listOpen(): Promise<OpenMessageRecord[]> {
    return this.records.listOpen();
  }

  async patch(messageId: string, patch: MetaPatch, principal: Principal): Promise<WireStreamMeta> {
    if (this.o.host.messages.isOpenHere(messageId)) return this.patchHere(messageId, patch, principal);
    const owner = await this.ownerOf(messageId);
    return (await this.rpc.call(owner, {
      op: 'patch',
      args: { messageId, patch, principal: toWirePrincipal(principal) },
    })) as WireStreamMeta;
  }

  async endChannel(
    channelId: string,
    channelType: number,
    reason: WireEndReason,
    principal: Principal,
  ): Promise<string[]> {
    const topic = channelTopic(channelType, channelId);
    const open = (await this.records.listOpen()).filter((r) => r.topic === topic);
    const ended: string[] = [];
    await Promise.all(
      open.map(async ({ messageId }) => {
        try {
          await this.o.host.messages.end(messageId, reason, principal);
          ended.push(messageId);
        } catch (err) {
          // Ended meanwhile: not this call's to count. A message still finishing on its owner
          // (closed, its record not yet ended) answers STREAM_CLOSED, one already gone STREAM_NOT_FOUND.
          if (!(err instanceof SpoolError) || !ENDED_MEANWHILE.has(err.code)) throw err;
        }
      }),
    );
    return ended;
  }

  // ---- forwarded writes, on the owner ----

  private async handle({ op, args }: RpcRequest): Promise<unknown> {
    const messageId = toMessageId(String(args.messageId));
    const messages = this.o.host.messages;
    if (op === 'release') {
      messages.fence(messageId);
      return null;
    }
    // Never forwarded again: a stale record on the caller's side is its error, not a loop.
    if (!messages.isOpenHere(messageId)) throw notFound(messageId);
    const principal = fromWirePrincipal(args.principal as WirePrincipal);
    switch (op) {
      case 'append':
        return messages.append(messageId, Number(args.chunkId), args.chunk as WireChunk, principal);
      case 'end':
        await messages.end(messageId, args.reason as WireEndReason, principal);
        return null;
      case 'patch':
        return this.patchHere(messageId, args.patch as MetaPatch, principal);
      default:
        throw new SpoolError('UNKNOWN_OP', `Unknown forwarded operation ${op}.`);
    }
  }

  private async patchHere(
    messageId: string,
    patch: MetaPatch,
    principal: Principal,
  ): Promise<WireStreamMeta> {
    const { cache, access, messages } = this.o.host;
    const view = cache.getStream(messageId);
    if (!view) throw notFound(messageId);
    if (principal !== SYSTEM) {
      await access.authorize(principal, 'produce', channelTopic(view.meta.channelType, view.meta.channelId));
    }
    const meta = toWireMeta(applyMetaPatch(cache, messageId, patch));
    try {
      await this.updateMeta(messageId, meta);
    } catch (err) {
      if (err instanceof SpoolError && err.code === 'FENCED') messages.fence(messageId, err);
      throw err;
    }
    return meta;
  }

  private async ownerOf(messageId: string): Promise<string> {
    const owner = await this.records.owner(messageId);
    // This incarnation named but not open here: it is completing (or was fenced) right now.
    if (!owner || owner.incarnation === this.self.incarnation) throw notFound(messageId);
    return owner.incarnation;
  }

  // ---- takeover ----

  /**
   * Ends a dead incarnation's open messages once this instance wins the claim. A claim held by
   * another survivor is asked again when its lease would run out, until the takeover is
   * finished: a claimer that dies mid-takeover is replaced (docs/architecture.md, "Takeover
   * and fencing").
   */
  private async takeOver(dead: InstanceRef): Promise<void> {
    if (dead.incarnation === this.self.incarnation) return;
    const { membership } = this.o;
    while (!this.closing.signal.aborted) {
      let retryInMs = TAKEOVER_RETRY_AFTER_ERROR_MS;
      this.claiming++;
      try {
        const claim = await membership.claimTakeover(dead.incarnation);
        if (claim.won) return await this.endMessagesOf(dead);
        if (claim.finished) return;
        retryInMs = claim.retryInMs;
      } catch (err) {
        // Redis failing: giving up here could leave the takeover to nobody. A claim this instance
        // won stays its own, so the next round goes on with it.
        this.o.host.logger.warn({ err, dead }, 'a takeover failed; it is tried again');
      } finally {
        if (--this.claiming === 0) for (const wake of this.whenIdle.splice(0)) wake();
      }
      await abortableSleep(retryInMs, this.closing.signal);
    }
  }

  /**
   * Keeps this process's messages across a rejoin (docs/architecture.md, "Instances and
   * incarnations"), run while `self` is still the evicted incarnation. Only when this process
   * wins the evicted incarnation's takeover claim: then no other instance ends or took its
   * messages, and each one still open here moves to `next` (its writes go on, the ones in
   * flight under the evicted incarnation too). A claim another instance holds or finished
   * leaves everything to that takeover: this process's writes are FENCED. Records of the
   * evicted incarnation not open here (their writer is gone) stay its own: the claim is left
   * to run out, and the takeover that wins it next ends them with reason `error`.
   */
  private async keepOwn(next: InstanceRef, previous: InstanceRef): Promise<void> {
    const { membership, host } = this.o;
    const claim = await membership.claimTakeover(previous.incarnation);
    if (!claim.won) {
      host.logger.warn(
        { previous, next },
        'another instance claimed the evicted incarnation: its messages are taken over',
      );
      return;
    }
    const ids = await this.records.ownedBy(previous.incarnation);
    let kept = 0;
    let left = 0;
    for (const messageId of ids) {
      if (!host.messages.isOpenHere(messageId)) {
        left++;
        continue;
      }
      if (await this.records.keep(messageId, previous.incarnation, next.incarnation)) kept++;
    }
    if (left === 0) await membership.finishTakeover(previous.incarnation);
    host.logger.info(
      { previous, next, kept, left },
      'kept the open messages of the evicted incarnation: no other instance claimed them',
    );
  }

  private async endMessagesOf(dead: InstanceRef): Promise<void> {
    const { membership, host } = this.o;
    // The membership renews the claim while this runs; should this instance die, the lease runs
    // out and another survivor ends what is left. Each message is moved by one script, so two
    // claimers never both end one.
    const ids = await this.records.ownedBy(dead.incarnation);
    host.logger.warn(
      { dead, openMessages: ids.length },
      'taking over a dead incarnation: its open messages end with reason error',
    );
    for (const messageId of ids) {
      try {
        // A message of this process's own evicted incarnation (taken over after a rejoin): its
        // local state goes first, or its writer would pass the owner check once the record names
        // this (new) incarnation. Of another process's, nothing is open here.
        host.messages.fence(messageId);
        const taken = await takeOver(this.records, messageId, dead.incarnation);
        if (taken) await this.endTaken(taken);
      } catch (err) {
        host.logger.error({ err, messageId, dead }, 'ending a taken-over message failed');
      }
    }
    // What failed after its record moved here is this incarnation's now, retried until it ends:
    // the dead incarnation has nothing left to claim.
    await membership.finishTakeover(dead.incarnation);
  }

  /**
   * Runs the steps of `taken`'s ending not done yet; one that fails keeps it in
   * {@link unfinished}, and it is tried again later (never dropped while this process lives).
   */
  private async endTaken(taken: TakenOverMessage): Promise<void> {
    this.unfinished.set(taken.messageId, taken);
    try {
      await finishTakenOver(this.o.host, this.records, taken);
      this.unfinished.delete(taken.messageId);
    } catch (err) {
      this.retryUnfinished();
      throw err;
    }
  }

  private retryUnfinished(): void {
    if (this.unfinishedTimer !== undefined || this.closing.signal.aborted) return;
    this.unfinishedTimer = setTimeout(() => {
      this.unfinishedTimer = undefined;
      void this.endUnfinished();
    }, TAKEOVER_RETRY_AFTER_ERROR_MS);
    this.unfinishedTimer.unref();
  }

  private async endUnfinished(): Promise<void> {
    this.claiming++;
    try {
      for (const taken of [...this.unfinished.values()]) {
        if (this.closing.signal.aborted) return;
        await this.endTaken(taken).catch((err: unknown) =>
          this.o.host.logger.warn(
            { err, messageId: taken.messageId },
            'ending a taken-over message failed again; it is tried again',
          ),
        );
      }
    } finally {
      if (--this.claiming === 0) for (const wake of this.whenIdle.splice(0)) wake();
    }
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** How long a placement waits for a next chunk to carry it before it is recorded on its own (ms). */
const PLACE_AFTER_MS = 100;

/** How long a takeover waits after a Redis error before it claims again (ms). */
const TAKEOVER_RETRY_AFTER_ERROR_MS = 1000;

/** What ending a listed message answers when it ended after the list was read. */
const ENDED_MEANWHILE = new Set(['STREAM_NOT_FOUND', 'STREAM_CLOSED']);

/** Who may re-open (move) a message: the principal's ID, or the server itself. */
function principalKey(principal: Principal): string {
  return principal === SYSTEM ? '$system' : `u:${principal.id}`;
}

function toWirePrincipal(principal: Principal): WirePrincipal {
  return principal === SYSTEM ? { system: true } : { principal };
}

function fromWirePrincipal(wire: WirePrincipal): Principal {
  // The forwarding channel is internal to the cluster (Redis); only its members publish there.
  return 'system' in wire ? SYSTEM : wire.principal;
}

function notFound(messageId: string): SpoolError {
  return new SpoolError(
    'STREAM_NOT_FOUND',
    `No open message ${messageId}; open it with msg.open first, or it has already ended.`,
  );
}
