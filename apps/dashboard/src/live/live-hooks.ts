import type { AssembledMessage } from '@spool/client';
import { useChannel, useTopic } from '@spool/client/react';
import type { SpoolStats } from '@spool/core';
import { parseChannelTopic } from '@spool/core/protocol';
import { useEffect, useMemo, useRef } from 'react';
import { useEnv } from '../app/env';
import { SYS_TOPIC } from './topics';

/**
 * While `enabled`, subscribes to `$sys` and feeds every `stats` event into the stats store.
 *
 * @example useSysStats(signedIn);
 */
export function useSysStats(enabled: boolean): void {
  const { stats } = useEnv();
  // `$sys` pushes one snapshot a second; a few in one frame still all reach the history.
  const { events } = useTopic(SYS_TOPIC, { enabled, max: 16 });
  const applied = useRef(new WeakSet<object>());
  useEffect(() => {
    for (const ev of events) {
      if (applied.current.has(ev)) continue;
      applied.current.add(ev);
      if (ev.event === 'stats' && isStats(ev.data)) stats.getState().applyStats(ev.data);
    }
  }, [events, stats]);
}

/**
 * One message of a channel topic, assembled live: subscribes to the channel from everything
 * retained, compacted (one `msg.snapshot` per message, then the live tail), while `topic`
 * is a channel topic; undefined until an event of the message arrived.
 *
 * @example const message = useLiveMessage('chan:1:general', messageId);
 */
export function useLiveMessage(topic: string | null, messageId: string | null): AssembledMessage | undefined {
  const channel = topic ? parseChannelTopic(topic) : undefined;
  const { messages } = useChannel(channel?.channelType ?? 0, channel?.channelId ?? '', {
    enabled: channel !== undefined,
  });
  return useMemo(() => messages.find((m) => m.messageId === messageId), [messages, messageId]);
}

function isStats(data: unknown): data is SpoolStats {
  const d = data as Partial<SpoolStats> | null;
  return !!d && typeof d.at === 'number' && !!d.cache && !!d.connections && !!d.topics;
}
