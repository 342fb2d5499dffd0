import type { StreamCache } from '../cache/stream-cache';
import { removeCustomField, type StreamMeta, setCustomField } from '../cache/stream-meta';
import type { MetaPatch } from './message-cluster';

/**
 * Applies a metadata update (`PATCH /v1/messages/:id`) to an open message in the cache:
 * `null` removes a custom field. Returns the updated meta.
 * @throws SpoolError `STREAM_NOT_FOUND`, and the cache's meta validation codes
 */
export function applyMetaPatch(cache: StreamCache, messageId: string, patch: MetaPatch): StreamMeta {
  return cache.updateStreamMeta(messageId, (draft) => {
    if (patch.fromUid !== undefined) draft.fromUid = patch.fromUid;
    if (patch.clientMsgNo !== undefined) draft.clientMsgNo = patch.clientMsgNo;
    for (const [key, value] of Object.entries(patch.customFields ?? {})) {
      if (value === null) removeCustomField(draft, key);
      else setCustomField(draft, key, value);
    }
  });
}
