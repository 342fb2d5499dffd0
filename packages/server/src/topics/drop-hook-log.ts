import type { EventId, TopicEvent, TopicLog, TopicLogAppend, TopicLogPage, TrimRules } from '@spool/core';

const noop = () => {};
const guarded = new WeakMap<TrimRules, TrimRules>();

/** The same rules with an `onDrop` hook (a no-op when the topic has none), built once per rules object. */
function withOnDrop(rules: TrimRules): TrimRules {
  if (rules.onDrop) return rules;
  let patched = guarded.get(rules);
  if (!patched) {
    patched = { ...rules, onDrop: noop };
    guarded.set(rules, patched);
  }
  return patched;
}

/**
 * A workaround adapter, to be removed when core fixes it: core's `MemoryTopicLog` drops
 * its head with `rules.onDrop?.(this.#dropHead())`, and an optional call skips its
 * arguments, so on a topic without a message ledger (every non-channel topic) trimming
 * never drops anything and loops forever. Handing the log rules that always carry an
 * `onDrop` makes the call, and so the drop, happen.
 *
 * @example new TopicRegistry({ createLog: (name, clock) => new DropHookLog(new MemoryTopicLog({ clock })) })
 */
export class DropHookLog implements TopicLog {
  constructor(private readonly log: TopicLog) {}

  append(input: TopicLogAppend, rules?: TrimRules): Promise<TopicEvent> {
    return this.log.append(input, rules && withOnDrop(rules));
  }
  read(after: EventId, limit: number): Promise<TopicLogPage> {
    return this.log.read(after, limit);
  }
  trim(rules: TrimRules): Promise<number> {
    return this.log.trim(withOnDrop(rules));
  }
  get length(): number {
    return this.log.length;
  }
  get bytes(): number {
    return this.log.bytes;
  }
  get firstId(): EventId | undefined {
    return this.log.firstId;
  }
  get lastId(): EventId | undefined {
    return this.log.lastId;
  }
  get floor(): EventId {
    return this.log.floor;
  }
  close(): Promise<void> {
    return this.log.close?.() ?? Promise.resolve();
  }
}
