import { fullJitter } from '@spool/core/protocol';

/**
 * Where a client starts among `n` server URLs: a random one, so that clients given the same
 * list spread over the instances instead of all landing on the first (docs/protocol.md,
 * "Several server URLs"). One URL draws no random number.
 */
export const firstUrl = (n: number, random: () => number): number => (n > 1 ? Math.floor(random() * n) : 0);

/**
 * The next try after a failed one, shared by the WebSocket connection and SSE subscriptions
 * (docs/protocol.md, "Several server URLs"). `attempt` counts the failed tries since the
 * server last spoke, this one included. The first failure after a working connection goes
 * to a random other URL, so the clients of an instance that went away spread over the
 * others; later ones go round robin, so a round tries every URL once. Within a round the
 * next try waits a jitter of up to `baseMs`, so that they do not all arrive in the same
 * millisecond either; between rounds, the full-jitter backoff.
 */
export function nextTry(
  at: number,
  attempt: number,
  n: number,
  backoff: { baseMs: number; maxMs: number },
  random: () => number,
): { at: number; delay: number } {
  const step = attempt === 1 && n > 2 ? 1 + Math.floor(random() * (n - 1)) : 1;
  return {
    at: (at + step) % n,
    delay: attempt % n ? random() * backoff.baseMs : fullJitter(attempt / n - 1, backoff, random),
  };
}
