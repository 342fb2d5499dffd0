/**
 * Shared by the log/ tests (never exported from the package): a recording subscriber.
 */
import type { EventId } from '../../protocol/event-id';
import type { Topic } from '../topic';
import type { TopicEvent } from '../topic-event';
import type { TopicSubscribeOptions, TopicSubscription } from '../topic-subscription';

export interface Recording {
  sub: TopicSubscription;
  events: TopicEvent[];
  /** Resets and events in arrival order, as `reset:<earliest>` and event IDs. */
  log: string[];
  errors: unknown[];
  /** Resolves when the subscription goes live. */
  live: Promise<void>;
}

export function record(
  topic: Topic,
  options: Omit<TopicSubscribeOptions, 'onEvent'> & Partial<TopicSubscribeOptions> = {},
): Recording {
  const events: TopicEvent[] = [];
  const log: string[] = [];
  const errors: unknown[] = [];
  let markLive!: () => void;
  let fail!: (err: unknown) => void;
  let isLive = false;
  const live = new Promise<void>((resolve, reject) => {
    markLive = () => {
      isLive = true;
      resolve();
    };
    fail = reject;
  });
  // a subscription that fails or closes before going live must fail the test, not hang it
  live.catch(() => undefined);
  const sub = topic.subscribe({
    ...options,
    onEvent: (ev) => {
      events.push(ev);
      log.push(ev.id);
      options.onEvent?.(ev);
    },
    onReset: (earliest: EventId) => {
      log.push(`reset:${earliest}`);
      options.onReset?.(earliest);
    },
    onLive: () => {
      markLive();
      options.onLive?.();
    },
    onError: (err) => {
      errors.push(err);
      options.onError?.(err);
      if (!isLive) fail(err);
    },
    onClose: () => {
      options.onClose?.();
      if (!isLive) fail(new Error('closed before going live'));
    },
  });
  if (sub.state === 'live') markLive();
  return { sub, events, log, errors, live };
}

/** Lets pending promise callbacks run (no timers involved). */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/**
 * Waits (on promise callbacks only, no timers) until `sub` is live; fails if it never gets
 * there, with the errors the subscription reported (pass its recording's `errors`), so a
 * failure names its cause instead of only the state it ended in.
 */
export async function untilLive(sub: TopicSubscription, errors: unknown[] = [], rounds = 500): Promise<void> {
  for (let i = 0; i < rounds && sub.state !== 'live'; i++) await settle(5);
  if (sub.state !== 'live') {
    const why = errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ');
    throw new Error(`subscription stuck in state ${sub.state}${why ? `; it reported: ${why}` : ''}`);
  }
}
