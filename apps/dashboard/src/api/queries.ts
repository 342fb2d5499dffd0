/**
 * TanStack Query hooks over the HTTP API. Query keys live here, so every mutation
 * invalidates exactly the snapshots it changed.
 */
import { useConnectionState } from '@spool/client/react';
import type { WireEndReason } from '@spool/core';
import { QueryClient, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEnv } from '../app/env';
import { ApiError } from './http';
import type { ListPage, MessageQuery, StoreQuery } from './routes';

export const queryKeys = {
  stats: ['stats'] as const,
  audit: ['audit'] as const,
  topics: ['topics'] as const,
  messagesAll: ['messages'] as const,
  messages: (filter: MessageQuery) => ['messages', filter] as const,
  message: (messageId: string) => ['message', messageId] as const,
  stored: (filter: StoreQuery | null) => ['stored', filter] as const,
  streams: ['streams'] as const,
  stream: (key: string) => ['stream', key] as const,
  pending: (key: string, group: string) => ['pending', key, group] as const,
  entries: (key: string) => ['entries', key] as const,
};

/** How often the stats snapshot is polled while the live connection is not open. */
export const STATS_POLL_MS = 3000;
/** How often broker details are refreshed; group totals update every second from `$sys`. */
export const BROKER_REFRESH_MS = 5000;
/** How often the full topic and stream lists are re-read; `$sys` only carries the 100 most active. */
export const LIST_REFRESH_MS = 10_000;
/**
 * The open-message list in a cluster: `$sys` carries only the connected instance's own
 * streams, so messages opened or ended on other instances show by re-reading the list.
 */
export const CLUSTER_MESSAGES_REFRESH_MS = 5000;

/**
 * The dashboard's query client: no retry on the server's own 4xx answers (they will not
 * change by asking again), a short retry otherwise.
 *
 * @example <QueryClientProvider client={createDashboardQueryClient()}>...</QueryClientProvider>
 */
export function createDashboardQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: (failures, err) =>
          !(err instanceof ApiError && err.status >= 400 && err.status < 500) && failures < 2,
        staleTime: 1000,
      },
      mutations: { retry: false },
    },
  });
}

/** `GET /v1/stats`, polled while the live connection is not open (it is the outage probe too). */
export function useStatsQuery() {
  const { api } = useEnv();
  const liveState = useConnectionState();
  return useQuery({
    queryKey: queryKeys.stats,
    queryFn: api.getStats,
    retry: false,
    refetchInterval: liveState === 'open' ? false : STATS_POLL_MS,
  });
}

function nextCursor<T>(page: ListPage<T>): string | undefined {
  return page.next ?? undefined;
}

/** `GET /v1/audit`: this instance's recent operator actions, re-read with the lists. */
export function useAuditQuery() {
  const { api } = useEnv();
  return useQuery({ queryKey: queryKeys.audit, queryFn: api.listAudit, refetchInterval: LIST_REFRESH_MS });
}

export function useTopicsQuery() {
  const { api } = useEnv();
  return useInfiniteQuery({
    queryKey: queryKeys.topics,
    queryFn: ({ pageParam }) => api.listTopics(pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
    refetchInterval: LIST_REFRESH_MS,
  });
}

/** `GET /v1/store/messages` for one filter, paged with `before`; idle until there is a filter. */
export function useStoreSearchQuery(filter: StoreQuery | null) {
  const { api } = useEnv();
  return useInfiniteQuery({
    queryKey: queryKeys.stored(filter),
    queryFn: ({ pageParam }) => api.searchStore(filter!, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
    enabled: filter !== null,
  });
}

export function useMessagesQuery(filter: MessageQuery, refetchInterval: number | false = false) {
  const { api } = useEnv();
  return useInfiniteQuery({
    queryKey: queryKeys.messages(filter),
    queryFn: ({ pageParam }) => api.listMessages(filter, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
    refetchInterval,
  });
}

export function useMessageQuery(messageId: string | null) {
  const { api } = useEnv();
  return useQuery({
    queryKey: queryKeys.message(messageId ?? ''),
    queryFn: () => api.getMessage(messageId!),
    enabled: messageId !== null,
  });
}

export function useStreamsQuery() {
  const { api } = useEnv();
  return useInfiniteQuery({
    queryKey: queryKeys.streams,
    queryFn: ({ pageParam }) => api.listStreams(pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: nextCursor,
    refetchInterval: LIST_REFRESH_MS,
  });
}

export function useStreamQuery(key: string) {
  const { api } = useEnv();
  return useQuery({
    queryKey: queryKeys.stream(key),
    queryFn: () => api.getStream(key),
    refetchInterval: BROKER_REFRESH_MS,
  });
}

export function usePendingQuery(key: string, group: string, enabled: boolean) {
  const { api } = useEnv();
  return useQuery({
    queryKey: queryKeys.pending(key, group),
    queryFn: () => api.getPendingEntries(key, group),
    enabled,
    refetchInterval: BROKER_REFRESH_MS,
  });
}

export function useEntriesQuery(key: string) {
  const { api } = useEnv();
  return useQuery({
    queryKey: queryKeys.entries(key),
    queryFn: () => api.getEntries(key),
    refetchInterval: BROKER_REFRESH_MS,
  });
}

// ---- mutations ----

/** Ends (`success`) or cancels (`cancelled`) one open message. */
export function useEndMessage() {
  const { api } = useEnv();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ messageId, reason }: { messageId: string; reason: WireEndReason }) =>
      api.endMessage(messageId, reason),
    onSuccess: (_data, { messageId }) =>
      Promise.all([
        qc.invalidateQueries({ queryKey: queryKeys.messagesAll }),
        qc.invalidateQueries({ queryKey: queryKeys.message(messageId) }),
        qc.invalidateQueries({ queryKey: queryKeys.stats }),
        qc.invalidateQueries({ queryKey: queryKeys.audit }),
      ]),
  });
}

/** Ends every open message in a channel. */
export function useEndChannel() {
  const { api } = useEnv();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ channelType, channelId }: { channelType: number; channelId: string }) =>
      api.endChannel(channelType, channelId, 'force'),
    onSuccess: () =>
      Promise.all([
        qc.invalidateQueries({ queryKey: queryKeys.messagesAll }),
        qc.invalidateQueries({ queryKey: ['message'] }),
        qc.invalidateQueries({ queryKey: queryKeys.stats }),
        qc.invalidateQueries({ queryKey: queryKeys.audit }),
      ]),
  });
}

function invalidateGroup(qc: QueryClient, key: string, group: string) {
  return Promise.all([
    qc.invalidateQueries({ queryKey: queryKeys.stream(key) }),
    qc.invalidateQueries({ queryKey: queryKeys.pending(key, group) }),
    qc.invalidateQueries({ queryKey: queryKeys.streams }),
    // Every group action is audited.
    qc.invalidateQueries({ queryKey: queryKeys.audit }),
  ]);
}

export function useAutoclaim() {
  const { api } = useEnv();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { key: string; group: string; consumer: string; minIdleMs: number }) =>
      api.autoclaim(v.key, v.group, { consumer: v.consumer, minIdleMs: v.minIdleMs }),
    onSuccess: (_d, v) => invalidateGroup(qc, v.key, v.group),
  });
}

export function useDeleteConsumer() {
  const { api } = useEnv();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { key: string; group: string; consumer: string }) =>
      api.deleteConsumer(v.key, v.group, v.consumer),
    onSuccess: (_d, v) => invalidateGroup(qc, v.key, v.group),
  });
}

export function useDestroyGroup() {
  const { api } = useEnv();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { key: string; group: string }) => api.destroyGroup(v.key, v.group),
    onSuccess: async (_d, v) => {
      qc.removeQueries({ queryKey: queryKeys.pending(v.key, v.group) });
      await invalidateGroup(qc, v.key, v.group);
    },
  });
}

export function useStartDemoReply() {
  const { api } = useEnv();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (channel: string) => api.startDemoReply(channel),
    onSuccess: () => qc.invalidateQueries({ queryKey: queryKeys.messagesAll }),
  });
}
