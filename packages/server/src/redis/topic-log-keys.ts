/** The Redis keys of one topic's log. */
export interface TopicLogKeys {
  /** The stream holding the events: fields `e` (name), `d` (JSON data), `m` (message ID, when any). */
  stream: string;
  /** Hash: `cf` the creation floor, `b` the retained bytes, `l` the last ID, `h` the first retained ID. */
  meta: string;
  /** Set of pin keys: `m:<messageId>` or `e:<eventId>`. */
  pins: string;
  /** Before each publish idempotency key of the topic (a string key: the event ID, for a window). */
  publishKeys: string;
  /** The pub/sub channel (not a key) of the topic's append notifications (topic-log-script.ts). */
  channel: string;
}

/**
 * The keys of `topic` under `prefix`: `<prefix>{<topic>}:log`, `:meta` and `:pins`, and
 * its notification channel `:live`. The braces are a Redis Cluster hash tag, so the three keys of a topic share a slot (its one
 * script may touch them together) while topics spread over the cluster. Inside the tag,
 * `%`, `{` and `}` are percent-encoded: a `}` in a topic name would otherwise end the tag
 * early (an empty tag even, which Redis ignores), and the encoding keeps distinct topics on
 * distinct keys. Topic names users see are unchanged; only the keys are encoded.
 *
 * @example topicLogKeys('spool:', 'chan:1:general').stream // 'spool:{chan:1:general}:log'
 */
export function topicLogKeys(prefix: string, topic: string): TopicLogKeys {
  const tag = `${prefix}{${topic.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}}`;
  return {
    stream: `${tag}:log`,
    meta: `${tag}:meta`,
    pins: `${tag}:pins`,
    publishKeys: `${tag}:pub:`,
    channel: `${tag}:live`,
  };
}
