import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The same seed setup and source resolution as the root config (see ../vitest.config.ts).
const seedSetup = fileURLToPath(new URL('../scripts/vitest-seed.ts', import.meta.url));
const conditions = ['@spool/source', 'node', 'module', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    name: 'chaos',
    include: ['scenarios/**/*.test.ts'],
    environment: 'node',
    setupFiles: [seedSetup],
    // Each scenario drives real server processes and measures their memory: one at a time,
    // in one worker, so no scenario's load shows in another's figures.
    fileParallelism: false,
    testTimeout: 15 * 60_000,
    hookTimeout: 60_000,
  },
});
