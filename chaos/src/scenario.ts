import { basename } from 'node:path';
import { afterEach, expect, onTestFailed } from 'vitest';
import { scenarioRandom } from './seed';
import { killSpoolProcesses } from './spool-process';

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

/**
 * A scenario's cleanup list: after each test its functions run, last pushed first, then
 * every `spool serve` process the test started is killed, so no scenario leaves one behind.
 */
export function cleanupAfterEach(): Array<() => unknown> {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
    killSpoolProcesses();
  });
  return cleanup;
}
