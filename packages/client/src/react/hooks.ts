import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
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

export interface UseTopicOptions extends Pick<SubscribeOptions, 'after' | 'compact'> {
  /** The newest events kept in `events`. @default 500 */
  max?: number;
}

export interface TopicView {
  /** The newest events (at most `max`), oldest first; reset items included. */
  events: SpoolEvent[];
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
  const { after, compact, max = 500 } = options;
  // A fresh buffer per subscription, so events of a previous topic never mix in.
  // biome-ignore lint/correctness/useExhaustiveDependencies: the keys are the subscription's identity
  const store = useMemo(() => topicStore(max), [client, topic, after, compact, max]);
  const batched = useMemo(() => frameBatched(store), [store]);
  useEffect(() => {
    const sub = client.subscribe(topic, { after, compact });
    const off = sub.listen((ev) => store.add(ev, sub.lastEventId));
    return () => {
      off();
      sub.unsubscribe();
    };
  }, [client, topic, after, compact, store]);
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

/**
 * Subscribes to a channel (everything retained, compacted to snapshots, by default) and
 * returns its messages, assembled, in the order first seen.
 *
 * @example
 * const messages = useChannel(1, 'general');
 * return messages.map((m) => <p key={m.messageId}>{m.text}</p>);
 */
export function useChannel(
  channelType: number,
  channelId: string,
  options?: SubscribeOptions,
): AssembledMessage[] {
  const client = useSpoolClient();
  const [channel, setChannel] = useState<ChannelStore>();
  const after = options?.after;
  const compact = options?.compact;
  useEffect(() => {
    const ch = client.channel(
      channelType,
      channelId,
      after === undefined && compact === undefined ? undefined : { after, compact },
    );
    setChannel(ch);
    return () => ch.subscription.unsubscribe();
  }, [client, channelType, channelId, after, compact]);
  const store = useMemo(() => (channel ? frameBatched(channel) : noMessages), [channel]);
  return useStore(store);
}
