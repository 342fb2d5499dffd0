import { basename } from 'node:path';
import { expect, onTestFailed } from 'vitest';
import { scenarioRandom } from './seed';

/**
 * Starts a scenario: prints its seed (and how to replay it) before anything random
 * happens, and again if it fails.
 */
export function announce(n: number, name: string): ReturnType<typeof scenarioRandom> {
  const r = scenarioRandom(n);
  const file = basename(expect.getState().testPath ?? '', '.test.ts');
  const replay = `SPOOL_TEST_SEED=${r.seed} pnpm chaos ${file}`.trimEnd();
  console.log(`chaos scenario ${n} (${name}) seed ${r.seed}: replay with ${replay}`);
  onTestFailed(() => console.error(`chaos scenario ${n} (${name}) failed with seed ${r.seed}: ${replay}`));
  return r;
}
