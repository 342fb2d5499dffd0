/**
 * A setup file of every Vitest project: `SPOOL_TEST_SEED` fixes the seed of every
 * fast-check property (tests with seeded randomness of their own read it too), so that
 * `pnpm test:seeds` can run the property tests under many seeds, and any failure can be
 * replayed with the seed it prints. Unset, fast-check draws a fresh seed per run, and
 * prints it (with the shrunk path) when a property fails.
 */
import fc from 'fast-check';

const raw = process.env.SPOOL_TEST_SEED;
if (raw !== undefined && raw !== '') {
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed))
    throw new Error(`SPOOL_TEST_SEED must be an integer, got ${JSON.stringify(raw)}.`);
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
}
