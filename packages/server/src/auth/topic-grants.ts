import { SYS_TOPIC } from '@spool/core';
import type { Action } from './action';

/**
 * What a JWT's `spool` claim grants (docs/security.md, "Tokens and what they grant"). Each
 * list holds topic patterns: an exact topic name, or a prefix ending in `*` that matches
 * any rest, `:` included (`chan:1:*`). An absent list grants nothing.
 */
export interface TopicGrants {
  /** Topics it may subscribe to (WebSocket `sub`, SSE, history, reading messages and channels). */
  readonly subscribe: readonly string[];
  /** Topics it may publish to (WebSocket `pub`, `POST /v1/topics/:topic/events`). */
  readonly publish: readonly string[];
  /**
   * Channel topics `chan:<type>:<id>` it may produce messages on (`msg.*`, the message routes, ending a
   * channel).
   */
  readonly produce: readonly string[];
  /** Broker stream keys it may use (every `/v1/streams/:key` route). */
  readonly broker: readonly string[];
  /** The operator routes and the `$sys` stats topic. */
  readonly admin: boolean;
}

/**
 * True when `pattern` matches `topic`. No pattern matches a `$` topic: those belong to the
 * server, and only the admin grant reads `$sys`.
 *
 * @example topicPatternMatches('chan:1:*', 'chan:1:general') // true
 */
export function topicPatternMatches(pattern: string, topic: string): boolean {
  if (topic.startsWith('$')) return false;
  return pattern.endsWith('*') ? topic.startsWith(pattern.slice(0, -1)) : topic === pattern;
}

/**
 * Whether `grants` allow `action` on `topic`. Any verified token may connect; `admin` needs
 * the admin grant; `$sys` may only be read, with the admin grant; every other topic needs
 * a pattern of the action's list.
 *
 * @example grantsAllow(grants, 'subscribe', 'chan:1:general')
 */
export function grantsAllow(grants: TopicGrants, action: Action, topic: string | undefined): boolean {
  if (action === 'connect') return true;
  if (action === 'admin') return grants.admin;
  if (topic === undefined) return false;
  if (topic.startsWith('$')) return action === 'subscribe' && topic === SYS_TOPIC && grants.admin;
  const patterns = grants[action];
  for (const p of patterns) if (topicPatternMatches(p, topic)) return true;
  return false;
}
