import { useSyncExternalStore } from 'react';

/** The views, in navigation order, with their hash paths (`#/overview`, ...). */
export const views = [
  { id: 'overview', title: 'Overview' },
  { id: 'streams', title: 'Live streams' },
  { id: 'stored', title: 'Stored messages' },
  { id: 'topics', title: 'Topics' },
  { id: 'groups', title: 'Consumer groups' },
  { id: 'cluster', title: 'Cluster' },
  { id: 'audit', title: 'Audit log' },
  { id: 'playground', title: 'Playground' },
] as const;

export type ViewId = (typeof views)[number]['id'];

export interface HashRoute {
  view: ViewId;
  /** The path segment after the view, e.g. the watched message ID in `#/streams/<id>`. */
  param: string | null;
}

/**
 * Parses `#/streams/1843563473929170944` into `{ view: 'streams', param: '1843563473929170944' }`;
 * anything unknown is the overview.
 *
 * @example parseHash('#/topics') // { view: 'topics', param: null }
 */
export function parseHash(hash: string): HashRoute {
  const [, view = '', ...rest] = hash.replace(/^#/, '').split('/');
  const known = views.find((v) => v.id === view);
  if (!known) return { view: 'overview', param: null };
  const param = rest.join('/');
  return { view: known.id, param: param ? decodeURIComponent(param) : null };
}

/** The hash of a route. */
export function routeHref(view: ViewId, param?: string): string {
  return `#/${view}${param ? `/${encodeURIComponent(param)}` : ''}`;
}

function subscribe(onChange: () => void): () => void {
  globalThis.addEventListener('hashchange', onChange);
  return () => globalThis.removeEventListener('hashchange', onChange);
}

/** The current hash route; hash navigation keeps the dashboard free of a router dependency. */
export function useHashRoute(): HashRoute {
  const hash = useSyncExternalStore(subscribe, () => globalThis.location.hash);
  return parseHash(hash);
}
