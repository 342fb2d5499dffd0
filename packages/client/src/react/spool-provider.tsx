import { SpoolError } from '@spool/core';
import { createContext, type ReactNode, useContext } from 'react';
import type { SpoolClient } from '../spool-client';

const SpoolContext = createContext<SpoolClient | null>(null);

/**
 * Makes a {@link SpoolClient} available to the hooks below it. The application owns the
 * client (creates it once, closes it when done).
 *
 * @example
 * const client = new SpoolClient('wss://example.com/v1/ws');
 * root.render(<SpoolProvider client={client}><App /></SpoolProvider>);
 */
export function SpoolProvider(props: {
  /** The client the hooks below use. */
  client: SpoolClient;
  /** The tree that uses it. */
  children?: ReactNode;
}): ReactNode {
  return <SpoolContext.Provider value={props.client}>{props.children}</SpoolContext.Provider>;
}

/**
 * The client of the nearest {@link SpoolProvider}.
 *
 * @throws SpoolError `INVALID_OPTION` outside a provider.
 * @example
 * const client = useSpoolClient();
 */
export function useSpoolClient(): SpoolClient {
  const client = useContext(SpoolContext);
  if (!client) {
    throw new SpoolError(
      'INVALID_OPTION',
      'No SpoolClient here: wrap the tree in <SpoolProvider client={client}>.',
    );
  }
  return client;
}
