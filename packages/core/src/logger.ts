/**
 * What Spool logs through: the subset of pino's API it calls (`logger.warn({ err }, 'msg')`),
 * so that a pino logger fits as it is and the runtime-agnostic parts import no logging
 * library (docs/architecture.md, "The package and entry graph").
 */
export interface Logger {
  /** Something an operator should read: a state change, a recovered failure. */
  info(fields: object, message?: string): void;
  /** Something degraded that Spool worked around. */
  warn(fields: object, message?: string): void;
  /** Something failed that an operator must look at. */
  error(fields: object, message?: string): void;
}

/** A logger that drops everything: the default when no `logger` option is given. */
export const silentLogger: Logger = {
  info() {},
  warn() {},
  error() {},
};
