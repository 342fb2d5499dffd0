import type { MessageId, MessageIdInput } from '../protocol/message-id';
import { toMessageId } from '../protocol/message-id';
import { assertChannelType, assertString, type StreamMetaInit, setCustomField } from './stream-meta';

/** What {@link StreamMetaBuilder.build} returns: a {@link StreamMetaInit} with a canonical ID. */
export type BuiltStreamMeta = StreamMetaInit & {
  /** The message ID, given or generated. */
  messageId: MessageId;
  /** The custom fields, `{}` when none were given. */
  customFields: Record<string, unknown>;
};

/**
 * Fluent construction of stream metadata. Each step validates at once, so
 * a bad channel type fails where it is written.
 *
 * @example
 * const meta = new StreamMetaBuilder(1843563473929170944n)
 *   .channel('general', 1)
 *   .from('user123')
 *   .clientMessage('msg-001')
 *   .customField('priority', 'high')
 *   .build();
 * cache.openStream(meta);
 */
export class StreamMetaBuilder {
  readonly #meta: BuiltStreamMeta;

  /** @throws SpoolError `INVALID_MESSAGE_ID` */
  constructor(messageId: MessageIdInput) {
    this.#meta = { messageId: toMessageId(messageId), customFields: {} };
  }

  /** The conversation: `channelType` is an integer from 0 to 255 (`INVALID_STREAM_META` otherwise). */
  channel(channelId: string, channelType: number): this {
    assertString(channelId, 'channelId');
    assertChannelType(channelType);
    this.#meta.channelId = channelId;
    this.#meta.channelType = channelType;
    return this;
  }

  /** The sender's user ID. */
  from(uid: string): this {
    assertString(uid, 'fromUid');
    this.#meta.fromUid = uid;
    return this;
  }

  /** The producer's own message number. */
  clientMessage(clientMsgNo: string): this {
    assertString(clientMsgNo, 'clientMsgNo');
    this.#meta.clientMsgNo = clientMsgNo;
    return this;
  }

  /** The message time (ms since the epoch, or a Date); defaults to when the stream opens. */
  timestamp(at: number | Date): this {
    this.#meta.timestamp = typeof at === 'number' ? at : at.getTime();
    return this;
  }

  /** Sets one custom field (a later call with the same key wins). */
  customField(key: string, value: unknown): this {
    setCustomField(this.#meta, key, value);
    return this;
  }

  /** A fresh object each call, so one builder can serve as a template. */
  build(): BuiltStreamMeta {
    return { ...this.#meta, customFields: { ...this.#meta.customFields } };
  }
}
