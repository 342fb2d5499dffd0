/**
 * Options of `spool.publish(topic, data, options)`, the same as the client's
 * `client.publish(topic, data, options)` (docs/http-api.md, "Topics").
 */
export interface PublishOptions {
  /**
   * The event name subscribers see.
   * @default 'message'
   */
  event?: string;
  /**
   * An idempotency key: a publish repeated with the same key on the same topic is applied
   * once and resolves to the first event's ID, within the last `ws.idempotencyWindow` keys
   * (and, with topics on Redis, across instances for 5 minutes).
   * @default undefined (every call appends)
   */
  key?: string;
}
