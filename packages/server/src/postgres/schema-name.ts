import { SpoolError } from '@spool/core';

const SCHEMA_RE = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Checks a schema name and returns it quoted for SQL. Only lowercase identifiers of at
 * most 63 bytes (PostgreSQL's NAMEDATALEN - 1) are accepted, so the name means the same
 * quoted or not, and nothing from configuration reaches SQL unchecked.
 *
 * @throws SpoolError `INVALID_OPTION`
 * @example quoteSchema('spool') // '"spool"'
 */
export function quoteSchema(schema: string): string {
  if (typeof schema !== 'string' || !SCHEMA_RE.test(schema) || schema.startsWith('pg_'))
    throw new SpoolError(
      'INVALID_OPTION',
      `\`schema\` must be a lowercase SQL identifier (a-z, 0-9, _; at most 63 characters; not starting with a digit or pg_), got ${JSON.stringify(schema)}.`,
    );
  return `"${schema}"`;
}
