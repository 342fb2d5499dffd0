import type { ErrorCode } from '../errors';

/**
 * The WebSocket close codes Spool uses (RFC 6455 section 7.4.1 for the 1xxx codes; the
 * 4xxx range is for applications, and mirrors HTTP 401 and 403).
 */
export const WsCloseCode = {
  /** Normal closure. */
  Normal: 1000,
  /** The server is shutting down or restarting: reconnect. */
  GoingAway: 1001,
  /** A frame was not UTF-8 text or not JSON (`BAD_FRAME`). */
  BadPayload: 1007,
  /** A policy was broken: origin or Host not allowed, or a rate limit. */
  PolicyViolation: 1008,
  /** A frame was larger than the limit (`FRAME_TOO_LARGE`, `PAYLOAD_TOO_LARGE`). */
  TooBig: 1009,
  /** The server hit an unexpected error (`INTERNAL`): reconnect with backoff. */
  InternalError: 1011,
  /** No valid credentials (`UNAUTHENTICATED`, `TOKEN_EXPIRED`): reconnect only with a fresh token. */
  Unauthenticated: 4401,
  /** The credentials are valid but not allowed (`FORBIDDEN`): do not reconnect as is. */
  Forbidden: 4403,
} as const;

export type WsCloseCode = (typeof WsCloseCode)[keyof typeof WsCloseCode];

/**
 * The close code for an error that ends a connection. Errors about one request (a bad
 * field, an unknown op, a forbidden topic) are answered with an `err` frame instead and do
 * not close the socket; see docs/protocol.md.
 *
 * @example ws.close(wsCloseCodeFor('FRAME_TOO_LARGE'), 'frame too large') // 1009
 */
export function wsCloseCodeFor(code: ErrorCode): WsCloseCode {
  switch (code) {
    case 'BAD_FRAME':
      return WsCloseCode.BadPayload;
    case 'FRAME_TOO_LARGE':
    case 'PAYLOAD_TOO_LARGE':
      return WsCloseCode.TooBig;
    case 'UNAUTHENTICATED':
    case 'TOKEN_EXPIRED':
      return WsCloseCode.Unauthenticated;
    case 'FORBIDDEN':
      return WsCloseCode.Forbidden;
    case 'ORIGIN_NOT_ALLOWED':
    case 'HOST_NOT_ALLOWED':
    case 'RATE_LIMITED':
      return WsCloseCode.PolicyViolation;
    default:
      return WsCloseCode.InternalError;
  }
}
