import { type ChannelHistoryItem, SpoolError } from '@spool/core';
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type { AssembledMessage, ChannelStore } from '../chat-assembler';
import type { ConnectionState } from '../spool-client';
import type { ExternalStore, SpoolEvent } from '../spool-event';
import type { SubscribeOptions } from '../subscription';
import { frameBatched } from './frame-batched';
import { useSpoolClient } from './spool-provider';

const useStore = <T>(store: ExternalStore<T>): T =>
  useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);

/**
 * The client's connection state, re-rendering on each change.
 *
 * @example
 * const state = useConnectionState(); // 'connecting' | 'open' | 'reconnecting' | 'closed'
 */
export function useConnectionState(): ConnectionState {
  const client = useSpoolClient();
  const store = useMemo<ExternalStore<ConnectionState>>(
    () => ({ subscribe: (l) => client.on('state', l), getSnapshot: () => client.state }),
    [client],
  );
  return useStore(store);
}

/**
 * Options of {@link useTopic}: where to start (`after`, `compact`), how many events to keep, and whether to
 * subscribe at all.
 */
export interface UseTopicOptions extends Pick<SubscribeOptions, 'after' | 'compact'> {
  /** The newest events kept in `events`. @default 500 */
  max?: number;
  /**
   * Subscribes only while true (e.g. once signed in, or once the topic is known); while
   * false, `events` is empty. @default true
   */
  enabled?: boolean;
}

/** What {@link useTopic} returns: the newest events of the topic and the subscription's resume point. */
export interface TopicView {
  /** The newest events (at most `max`), oldest first; reset items included. */
  events: SpoolEvent[];
  /** The subscription's `lastEventId` when the newest item of `events` arrived; undefined before the first. */
  lastEventId: string | undefined;
}

/** Events of one topic, kept in a buffer; the snapshot is rebuilt only when read after a change. */
function topicStore(
  max: number,
): ExternalStore<TopicView> & { add(ev: SpoolEvent, lastEventId?: string): void } {
  const buffer: SpoolEvent[] = [];
  const listeners = new Set<() => void>();
  let view: TopicView = { events: [], lastEventId: undefined };
  let lastEventId: string | undefined;
  let dirty = false;
  return {
    add(ev, id) {
      buffer.push(ev);
      // Trim in batches, so each event costs O(1) amortised.
      if (buffer.length >= 2 * max) buffer.splice(0, buffer.length - max);
      lastEventId = id;
      dirty = true;
      for (const l of listeners) l();
    },
    subscribe(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    getSnapshot() {
      if (dirty) {
        dirty = false;
        view = { events: buffer.slice(-max), lastEventId };
      }
      return view;
    },
  };
}

/**
 * Subscribes to a topic for as long as the component is mounted; re-renders at most once
 * per animation frame however fast events arrive.
 *
 * @example
 * const { events, lastEventId } = useTopic('chan:1:general', { after: '0-0' });
 */
export function useTopic(topic: string, options: UseTopicOptions = {}): TopicView {
  const client = useSpoolClient();
  const { after, compact, max = 500, enabled = true } = options;
  // A fresh buffer per subscription, so events of a previous topic never mix in.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the keys are the subscription's identity
  const store = useMemo(() => topicStore(max), [client, topic, after, compact, max, enabled]);
  const batched = useMemo(() => frameBatched(store), [store]);
  useEffect(() => {
    if (!enabled) return;
    const sub = client.subscribe(topic, { after, compact });
    const off = sub.listen((ev) => store.add(ev, sub.lastEventId));
    return () => {
      off();
      sub.unsubscribe();
    };
  }, [client, topic, after, compact, enabled, store]);
  return useStore(batched);
}

/**
 * One chat message as the client knows it (see `client.message(id)`): assembled from its
 * subscriptions' `msg.*` events (subscribe to the channel with `useChannel` or `useTopic`
 * to follow it live) and from the messages it writes; one it has not seen is fetched once
 * and reads `status: 'unknown'` until then. At most one render per frame.
 *
 * @example
 * const { text, status } = useMessage(messageId);
 */
export function useMessage(messageId: string): AssembledMessage {
  const client = useSpoolClient();
  const store = useMemo(() => frameBatched(client.message(messageId)), [client, messageId]);
  return useStore(store);
}

// One array for every read: useSyncExternalStore needs a stable snapshot, or it re-renders.
const noMessageList: AssembledMessage[] = [];
const noMessages: ExternalStore<AssembledMessage[]> = {
  subscribe: () => () => {},
  getSnapshot: () => noMessageList,
};

/** What {@link useChannel} returns. */
export interface ChannelView {
  /**
   * The channel's messages: those loaded by {@link loadOlder} (oldest first) that the
   * subscription has not shown, then the subscription's, in the order first seen.
   */
  messages: AssembledMessage[];
  /** False once the server said there is nothing older (before any `loadOlder`: true). */
  hasOlder: boolean;
  /** A `loadOlder` request is in flight. */
  loadingOlder: boolean;
  /** Why the last `loadOlder` failed; cleared by the next success. */
  olderError: SpoolError | undefined;
  /**
   * Loads the next page of older messages (`client.history`, docs/http-api.md "Channel
   * history"): the newest page first, then each page's `next`. Calls while one is in
   * flight share it; after the last page it does nothing. Never rejects: a failure is
   * `olderError`, and calling again retries the same page.
   */
  loadOlder(): Promise<void>;
}

/** Options of {@link useChannel}: the subscription's, and the size of an older page. */
export interface UseChannelOptions extends SubscribeOptions {
  /** Messages per `loadOlder` page. @default 50 */
  pageSize?: number;
  /**
   * Subscribes only while true (e.g. once the channel is known); while false, `messages`
   * is empty and `loadOlder` loads nothing. @default true
   */
  enabled?: boolean;
}

interface Older {
  /** Oldest first. */
  items: AssembledMessage[];
  /** The next page's `before`; undefined before the first page, null after the last. */
  next: string | null | undefined;
  loading: boolean;
  error: SpoolError | undefined;
}

const noOlder: Older = { items: [], next: undefined, loading: false, error: undefined };

function assembled(item: ChannelHistoryItem): AssembledMessage {
  const m: AssembledMessage = {
    messageId: item.messageId,
    text: item.text,
    lastChunkId: item.lastChunkId,
    status: item.status,
    meta: item.meta,
  };
  if (item.reason !== undefined) m.reason = item.reason;
  return m;
}

/**
 * Subscribes to a channel (everything retained, compacted to snapshots, by default) and
 * returns its messages, assembled, in the order first seen; `loadOlder()` prepends older
 * pages from the server's history as the user scrolls up.
 *
 * @example
 * const { messages, hasOlder, loadOlder } = useChannel(1, 'general');
 * return (
 *   <>
 *     {hasOlder && <button onClick={() => void loadOlder()}>Older</button>}
 *     {messages.map((m) => <p key={m.messageId}>{m.text}</p>)}
 *   </>
 * );
 */
export function useChannel(channelType: number, channelId: string, options?: UseChannelOptions): ChannelView {
  const client = useSpoolClient();
  const [channel, setChannel] = useState<ChannelStore>();
  const after = options?.after;
  const compact = options?.compact;
  const pageSize = options?.pageSize ?? 50;
  const enabled = options?.enabled ?? true;
  useEffect(() => {
    if (!enabled) {
      setChannel(undefined);
      return;
    }
    const ch = client.channel(
      channelType,
      channelId,
      after === undefined && compact === undefined ? undefined : { after, compact },
    );
    setChannel(ch);
    return () => ch.subscription.unsubscribe();
  }, [client, channelType, channelId, after, compact, enabled]);
  const store = useMemo(() => (channel ? frameBatched(channel) : noMessages), [channel]);
  const live = useStore(store);

  // The state a request started from, and the request itself: a request of a previous
  // channel must not land in this one, and concurrent calls share one request.
  const key = `${client.options.httpUrl ?? client.urls} ${channelType} ${channelId} ${enabled}`;
  const [shownState, setShown] = useState<{ key: string; older: Older }>({ key, older: noOlder });
  const current = useRef<{ key: string; older: Older; inflight?: Promise<void> }>({ key, older: noOlder });
  if (current.current.key !== key) current.current = { key, older: noOlder };
  const loadOlder = useCallback((): Promise<void> => {
    const at = current.current;
    if (at.inflight) return at.inflight;
    if (at.older.next === null || !enabled) return Promise.resolve();
    const update = (next: Older) => {
      if (current.current !== at) return;
      at.older = next;
      setShown({ key: at.key, older: next });
    };
    update({ ...at.older, loading: true });
    const before = at.older.next;
    at.inflight = client
      .history({ channelType, channelId }, { limit: pageSize, ...(before ? { before } : {}) })
      .then(
        (page) => {
          const known = new Set(at.older.items.map((m) => m.messageId));
          const fresh = page.items
            .filter((i) => !known.has(i.messageId))
            .reverse()
            .map(assembled);
          update({ items: [...fresh, ...at.older.items], next: page.next, loading: false, error: undefined });
        },
        (err: unknown) => {
          const error = err instanceof SpoolError ? err : new SpoolError('UNAVAILABLE', String(err));
          update({ ...at.older, loading: false, error });
        },
      )
      .finally(() => {
        at.inflight = undefined;
      });
    return at.inflight;
  }, [client, channelType, channelId, pageSize, enabled]);

  const shown = shownState.key === key ? shownState.older : noOlder;
  const messages = useMemo(() => {
    if (shown.items.length === 0) return live;
    const seen = new Set(live.map((m) => m.messageId));
    const before = shown.items.filter((m) => !seen.has(m.messageId));
    return before.length === 0 ? live : [...before, ...live];
  }, [live, shown.items]);
  return {
    messages,
    hasOlder: shown.next !== null,
    loadingOlder: shown.loading,
    olderError: shown.error,
    loadOlder,
  };
}
