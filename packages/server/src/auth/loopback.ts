/**
 * True when `host` names the loopback interface: `localhost`, 127.0.0.0/8, `::1`, or an
 * IPv4-mapped loopback (`::ffff:127.0.0.1`). The `spool serve` defaults hinge on this:
 * without a token, only a loopback server may start. Pure string checks, no resolver and
 * no `node:net`, so the Host and Origin checks run on any runtime (docs/security.md).
 *
 * @example isLoopback('127.0.0.1') // true; isLoopback('0.0.0.0') // false
 */
export function isLoopback(host: string | undefined): boolean {
  if (!host) return false;
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (h === 'localhost') return true;
  if (isIPv4(h)) return h.startsWith('127.');
  const lower = h.toLowerCase();
  if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
  return lower.startsWith('::ffff:') && isIPv4(lower.slice(7)) && lower.startsWith('::ffff:127.');
}

// A dotted quad as Node's `net.isIPv4` accepts it: four decimals 0-255 without leading zeros.
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]\\d|\\d)';
const IPV4 = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);

/** True when `text` is an IPv4 address in dotted-quad form. */
export function isIPv4(text: string): boolean {
  return IPV4.test(text);
}
