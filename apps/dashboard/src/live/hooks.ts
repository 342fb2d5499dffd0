import type { SpoolStats } from '@spool/core';
import { useEffect, useSyncExternalStore } from 'react';
import { useEnv } from '../app/env';
import type { LiveState } from './connection';
import { SYS_TOPIC } from './topics';

/**
 * The live connection's state, re-rendering on every change.
 *
 * @example const state = useLiveState(); // 'open'
 */
export function useLiveState(): LiveState {
  const { live } = useEnv();
  return useSyncExternalStore(
    (onChange) => live.onState(onChange),
    () => live.state,
  );
}

/**
 * While `enabled`, subscribes to `$sys` and feeds every `stats` event into the stats store.
 *
 * @example useSysStats(signedIn);
 */
export function useSysStats(enabled: boolean): void {
  const { live, stats } = useEnv();
  useEffect(() => {
    if (!enabled) return;
    return live.subscribe(SYS_TOPIC, {
      onEvent(ev) {
        if (ev.event === 'stats' && isStats(ev.data)) stats.getState().applyStats(ev.data);
      },
    });
  }, [enabled, live, stats]);
}

/**
 * While mounted with a topic, subscribes to that channel topic from everything retained,
 * compacted (one `msg.snapshot` per message, then the live tail), and assembles every
 * message of it in the message store.
 *
 * @example useChannelFeed('chan:1:general');
 */
export function useChannelFeed(topic: string | null): void {
  const { live, messages } = useEnv();
  useEffect(() => {
    if (!topic) return;
    const { applyEvent, interrupt } = messages.getState();
    return live.subscribe(topic, {
      after: '0-0',
      compact: true,
      onEvent: (ev) => applyEvent(topic, ev.event, ev.data, ev.id),
      // After a `reset` the server sends everything it still holds from `earliest`, as
      // snapshots here, and the client takes all of it: what was streaming and is not in
      // that history (a server restarted mid-reply) stays interrupted.
      onReset: () => interrupt(topic),
    });
  }, [topic, live, messages]);
}

function isStats(data: unknown): data is SpoolStats {
  const d = data as Partial<SpoolStats> | null;
  return !!d && typeof d.at === 'number' && !!d.cache && !!d.connections && !!d.topics;
}
