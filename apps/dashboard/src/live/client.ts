/**
 * The dashboard's live client: `@spool/client`'s `SpoolClient`, which the views reach
 * through `@spool/client/react` (`SpoolProvider`, `useTopic`, `useChannel`,
 * `useConnectionState`, `useSpoolClient`). Tests inject their own through `DashboardEnv`.
 */
import { SpoolClient, type WebSocketConstructor } from '@spool/client';

export interface LiveClientOptions {
  /** `ws(s)://host/v1/ws`. @default derived from `location` */
  url?: string;
  /** Read at every (re)connect, so a sign-in applies on the next `reconnect()`. */
  getToken?: () => string | null | undefined;
  /** @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor;
}

/** The WebSocket endpoint of the server that served this page. */
export function defaultLiveUrl(loc: Pick<Location, 'protocol' | 'host'> = globalThis.location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/v1/ws`;
}

/**
 * Creates the live client; it connects at once, with the token `getToken` gives then.
 *
 * @example
 * const client = createLiveClient({ getToken: () => sessionStorage.getItem('spool.adminToken') });
 */
export function createLiveClient(options: LiveClientOptions = {}): SpoolClient {
  return new SpoolClient(options.url ?? defaultLiveUrl(), {
    // An empty token means "none": the client then adds no `access_token`.
    getToken: () => options.getToken?.() ?? '',
    ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
  });
}
