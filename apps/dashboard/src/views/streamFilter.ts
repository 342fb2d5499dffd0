import type { ActiveStreamSnapshot } from '@spool/core';
import type { MessageQuery } from '../api/routes';

/** What the operator typed in the live-streams filter; empty strings mean "any". */
export interface StreamFilter {
  channelType: string;
  channelId: string;
  fromUid: string;
  field: string;
  value: string;
}

export const emptyStreamFilter: StreamFilter = {
  channelType: '',
  channelId: '',
  fromUid: '',
  field: '',
  value: '',
};

/**
 * The one filter `GET /v1/messages` applies on the server (channel, else sender, else
 * custom field); {@link matchesStreamFilter} applies all of them to the rows it returns.
 *
 * @example serverQuery({ ...emptyStreamFilter, fromUid: 'bot' }) // { fromUid: 'bot' }
 */
export function serverQuery(f: StreamFilter): MessageQuery {
  if (f.channelId && f.channelType !== '' && Number.isInteger(Number(f.channelType))) {
    return { channelId: f.channelId, channelType: Number(f.channelType) };
  }
  if (f.fromUid) return { fromUid: f.fromUid };
  if (f.field && f.value) return { field: f.field, value: f.value };
  return {};
}

/** Whether an open stream passes every part of the filter. */
export function matchesStreamFilter(s: ActiveStreamSnapshot, f: StreamFilter): boolean {
  if (f.channelId && s.channelId !== f.channelId) return false;
  if (f.channelType !== '' && String(s.channelType) !== f.channelType) return false;
  if (f.fromUid && s.fromUid !== f.fromUid) return false;
  if (f.field) {
    if (!(f.field in s.customFields)) return false;
    if (f.value && String(s.customFields[f.field]) !== f.value) return false;
  }
  return true;
}

/** The channel the filter names exactly, if it does. */
export function filterChannel(f: StreamFilter): { channelType: number; channelId: string } | null {
  const q = serverQuery(f);
  return 'channelId' in q ? { channelType: q.channelType, channelId: q.channelId } : null;
}
