import { describe, expect, it } from 'vitest';
import { createManualClock } from '../time/clock';
import { record, settle } from './__tests__/topic-test-kit';
import { MemoryTopicLog } from './memory-topic-log';
import type { TrimRules } from './retention';
import { Topic } from './topic';
import type { TopicEvent } from './topic-event';
import type { TopicLog, TopicLogAppend, TopicLogWatcher } from './topic-log';

/**
 * A log shared with another writer, as a Redis log is: a MemoryTopicLog for storage, whose
 * `watch` hands out this log's appends before they resolve, and `remote()` appends as the
 * other writer would (the watcher hears of it through `deliver()`, as a notification).
 */
class SharedLog implements TopicLog {
  readonly inner: MemoryTopicLog;
  watchers: TopicLogWatcher[] = [];
  watches = 0;
  constructor(inner: MemoryTopicLog) {
    this.inner = inner;
  }
  get length() {
    return this.inner.length;
  }
  get bytes() {
    return this.inner.bytes;
  }
  get firstId() {
    return this.inner.firstId;
  }
  get lastId() {
    return this.inner.lastId;
  }
  get floor() {
    return this.inner.floor;
  }
  get creationFloor() {
    return this.inner.creationFloor;
  }
  async append(input: TopicLogAppend, rules?: TrimRules): Promise<TopicEvent> {
    const ev = await this.inner.append(input, rules);
    for (const w of this.watchers) w.events([ev]);
    return ev;
  }
  read(after: string, limit: number) {
    return this.inner.read(after, limit);
  }
  trim(rules: TrimRules) {
    return this.inner.trim(rules);
  }
  watch(watcher: TopicLogWatcher): () => void {
    this.watches++;
    this.watchers = [...this.watchers, watcher];
    return () => {
      this.watchers = this.watchers.filter((w) => w !== watcher);
    };
  }
  /** Set to make the log "still loading" until `load()`. */
  loading: Promise<string> | undefined;
  load: (at: string) => void = () => {};
  ready(): Promise<string> | undefined {
    return this.loading;
  }
  /** Another writer's append, not yet heard of. */
  async remote(n: number): Promise<TopicEvent> {
    const json = JSON.stringify({ n });
    return this.inner.append({
      event: 'message',
      data: { n },
      json,
      size: json.length,
      messageId: undefined,
    });
  }
  deliver(events: TopicEvent[]): void {
    for (const w of this.watchers) w.events(events);
  }
}

function shared(): { log: SharedLog; topic: Topic } {
  const clock = createManualClock(1_700_000_000_000);
  const log = new SharedLog(new MemoryTopicLog({ clock }));
  return { log, topic: new Topic('news', { log, clock }) };
}

describe('Topic on a shared log (TopicLog.watch)', () => {
  it('fans out from the watcher: own appends once, other writers’ events in order between them', async () => {
    const { log, topic } = shared();
    const sub = record(topic);
    const own1 = await topic.append('message', { n: 1 });
    const other = await log.remote(2);
    log.deliver([other]);
    const own2 = await topic.append('message', { n: 3 });
    // A late, repeated delivery changes nothing.
    log.deliver([other, own2]);
    expect(sub.log).toEqual([own1.id, other.id, own2.id]);
    expect(topic.lastId).toBe(own2.id);
  });

  it('watches only while someone listens, and a live start stands at the log’s last ID', async () => {
    const { log, topic } = shared();
    const before = await log.remote(0); // appended elsewhere while nobody here listened
    expect(log.watches).toBe(0);
    const sub = record(topic);
    expect(log.watches).toBe(1);
    expect(sub.sub.lastId).toBe(before.id);
    const off = topic.onAppend(() => {});
    expect(log.watchers).toHaveLength(1);
    sub.sub.close();
    expect(log.watchers).toHaveLength(1);
    off();
    expect(log.watchers).toHaveLength(0);
    // Unwatched, an append fans out to nobody and the next watch starts after it.
    const alone = await topic.append('message', { n: 1 });
    const again = record(topic);
    expect(again.sub.lastId).toBe(alone.id);
    expect(log.watches).toBe(2);
  });

  it('on gap(), sends live subscribers back through catchup: each missed event once, in order', async () => {
    const { log, topic } = shared();
    const sub = record(topic, { after: '0-0' });
    await sub.live;
    const first = await topic.append('message', { n: 0 });
    const missed = [await log.remote(1), await log.remote(2)];
    for (const w of log.watchers) w.gap();
    await settle();
    const after = await topic.append('message', { n: 3 });
    await settle();
    expect(sub.log).toEqual([first.id, ...missed.map((e) => e.id), after.id]);
  });

  it('holds a live start back while the log loads, then starts it at the log’s last ID', async () => {
    const { log, topic } = shared();
    const before = await log.remote(0);
    log.loading = new Promise<string>((resolve) => {
      log.load = resolve;
    });
    const readies: string[] = [];
    const waiting = record(topic, { onReady: (from) => readies.push(from) });
    const paused = record(topic, { onReady: (from) => readies.push(from) });
    paused.sub.pause();
    expect(readies).toEqual([]);
    expect(waiting.sub.state).toBe('catchup');
    const during = await log.remote(1); // appended elsewhere while this instance loads
    log.loading = undefined;
    log.load(during.id);
    await settle();
    expect(waiting.sub.state).toBe('live');
    expect(waiting.sub.lastId).toBe(during.id);
    expect(paused.sub.state).toBe('paused');
    // The paused one announces its start with its first page, once resumed.
    expect(readies).toHaveLength(1);
    const next = await topic.append('message', { n: 2 });
    expect(waiting.log).toEqual([next.id]);
    paused.sub.resume();
    await settle();
    expect(paused.log).toEqual([next.id]);
    expect(readies).toHaveLength(2);
    expect(waiting.log).not.toContain(before.id);
  });
});
