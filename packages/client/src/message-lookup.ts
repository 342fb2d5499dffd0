import { channelTopic, type MsgSnapshotData } from '@spool/core/protocol';
import { getJson, type HttpClient } from './http-get';
import type { SpoolEvent } from './spool-event';

/**
 * Reads one message over HTTP (`GET /v1/messages/:id`, docs/http-api.md) as the
 * `msg.snapshot` event that stands for it, for `client.message(id)` to fill in a message
 * its subscriptions have not shown. Rejects with the server's code (`MESSAGE_NOT_FOUND`,
 * `FORBIDDEN`, ...) and the HTTP status in `details.status`.
 *
 * @example
 * chat.apply(await lookupMessage(client, '1843563473929170944'));
 */
export async function lookupMessage(
  client: HttpClient,
  messageId: string,
): Promise<SpoolEvent<MsgSnapshotData>> {
  const body = await getJson<Omit<MsgSnapshotData, 'messageId'>>(
    client,
    `/v1/messages/${encodeURIComponent(messageId)}`,
  );
  // The body is the snapshot's data (meta, text, lastChunkId, status, reason; docs/http-api.md).
  const { meta } = body;
  return {
    topic: channelTopic(meta.channelType, meta.channelId),
    id: '',
    event: 'msg.snapshot',
    data: { ...body, messageId },
  };
}
