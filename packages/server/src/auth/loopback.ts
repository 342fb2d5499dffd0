import { isIP } from 'node:net';

/**
 * True when `host` names the loopback interface: `localhost`, 127.0.0.0/8, `::1`, or an
 * IPv4-mapped loopback (`::ffff:127.0.0.1`). The `spool serve` defaults hinge on this:
 * without a token, only a loopback server may start.
 *
 * @example isLoopback('127.0.0.1') // true; isLoopback('0.0.0.0') // false
 */
export function isLoopback(host: string | undefined): boolean {
  if (!host) return false;
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (h === 'localhost') return true;
  const v = isIP(h);
  if (v === 4) return h.startsWith('127.');
  if (v === 6) {
    const lower = h.toLowerCase();
    return lower === '::1' || lower === '0:0:0:0:0:0:0:1' || lower.startsWith('::ffff:127.');
  }
  return false;
}
