import type { LiveConnection, LiveHandlers, LiveState } from '../live/connection';

export interface FakeLive extends LiveConnection {
  /** Topics subscribed now, with the options given. */
  readonly subscriptions: Map<string, LiveHandlers[]>;
  reconnects: number;
  closes: number;
  setState(state: LiveState): void;
  /** Delivers an event to every subscription of `topic`; returns how many received it. */
  emit(topic: string, event: string, data: unknown, id?: string): number;
  /** Delivers a `reset` to every subscription of `topic`; returns how many received it. */
  reset(topic: string, earliest: string): number;
}

/**
 * A {@link LiveConnection} driven by the test: it records subscriptions and delivers what
 * the test emits, as `@spool/client` would after dedupe and ordering.
 */
export function createFakeLive(initial: LiveState = 'open'): FakeLive {
  let state: LiveState = initial;
  let seq = 0;
  const listeners = new Set<(s: LiveState) => void>();
  const subscriptions = new Map<string, LiveHandlers[]>();
  return {
    subscriptions,
    reconnects: 0,
    closes: 0,
    get state() {
      return state;
    },
    onState(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    subscribe(topic, handlers) {
      const list = subscriptions.get(topic) ?? [];
      list.push(handlers);
      subscriptions.set(topic, list);
      return () => {
        const rest = (subscriptions.get(topic) ?? []).filter((h) => h !== handlers);
        if (rest.length) subscriptions.set(topic, rest);
        else subscriptions.delete(topic);
      };
    },
    reconnect() {
      this.reconnects++;
    },
    close() {
      this.closes++;
    },
    setState(next) {
      state = next;
      for (const l of listeners) l(next);
    },
    emit(topic, event, data, id = `${Date.now()}-${seq++}`) {
      const handlers = subscriptions.get(topic) ?? [];
      for (const h of handlers) h.onEvent?.({ topic, id, event, data });
      return handlers.length;
    },
    reset(topic, earliest) {
      const handlers = subscriptions.get(topic) ?? [];
      for (const h of handlers) h.onReset?.(earliest);
      return handlers.length;
    },
  };
}
