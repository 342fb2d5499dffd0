import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// Fixes fast-check's seed from SPOOL_TEST_SEED (see scripts/test-seeds.mjs).
const seedSetup = fileURLToPath(new URL('./scripts/vitest-seed.ts', import.meta.url));

// Every workspace package resolves to its TypeScript source through this export
// condition, so tests never need a build first.
const conditions = ['@spool/source', 'module', 'browser', 'development|production'];
// No 'import' here: Vitest hands these to Node as --conditions, and with 'import' set, a
// CommonJS require() picks a dual package's ESM build (pg requiring pg-pool then fails with
// "Class extends value [object Module]"). Vite adds 'import' to ESM imports by itself.
const nodeConditions = ['@spool/source', 'node', 'module', 'development|production'];

const nodeProject = (name: string, include: string[], extra: Record<string, unknown> = {}) => ({
  resolve: { conditions: nodeConditions },
  ssr: { resolve: { conditions: nodeConditions } },
  test: { name, include, environment: 'node', setupFiles: [seedSetup], ...extra },
});

/** A package's type tests (its `*.test-d.ts` files), checked with its own tsconfig.typecheck.json. */
const typesProject = (pkg: string) => ({
  test: {
    name: `${pkg}:types`,
    include: [],
    typecheck: {
      enabled: true,
      only: true,
      include: [`packages/${pkg}/src/**/*.test-d.ts`],
      tsconfig: `packages/${pkg}/tsconfig.typecheck.json`,
    },
  },
});

export default defineConfig({
  test: {
    projects: [
      // core runs twice: in node and in a browser-like DOM, so "runtime-agnostic" is proven.
      nodeProject('core:node', ['packages/core/src/**/*.test.ts']),
      {
        resolve: { conditions },
        test: {
          name: 'core:dom',
          include: ['packages/core/src/**/*.test.ts'],
          exclude: ['packages/core/src/**/*.node.test.ts'],
          environment: 'happy-dom',
          setupFiles: [seedSetup],
        },
      },
      nodeProject('server', ['packages/server/src/**/*.test.ts'], {
        testTimeout: 30_000,
        hookTimeout: 30_000,
      }),
      // The checks of the build's own scripts (the API reference's documentation check).
      nodeProject('scripts', ['scripts/**/*.test.mjs']),
      // The benchmark report writer (section replacement, SVG charts); the benchmarks themselves are not tests.
      nodeProject('bench', ['bench/**/*.test.ts']),
      // The example chat's producer, against a real server on port 0.
      nodeProject('example', ['apps/example-chat/{producer,src}/**/*.test.ts'], { testTimeout: 30_000 }),
      // The code of docs/recipes: every block a recipe shows is in these files, run here.
      {
        ...nodeProject('recipes', ['docs/recipes/**/*.test.{ts,tsx}'], {
          testTimeout: 30_000,
          hookTimeout: 30_000,
        }),
        plugins: [react()],
      },
      // The client's unit tests (src) and its tests against a real socket or server
      // (test-integration, type-checked apart so that Node's types stay out of src).
      nodeProject('client:node', ['packages/client/{src,test-integration}/**/*.test.ts'], {
        testTimeout: 30_000,
      }),
      {
        plugins: [react()],
        resolve: { conditions },
        test: {
          name: 'client:dom',
          include: ['packages/client/{src,test-integration}/**/*.test.{ts,tsx}'],
          exclude: ['packages/client/{src,test-integration}/**/*.node.test.ts'],
          environment: 'happy-dom',
          setupFiles: [seedSetup],
        },
      },
      // Type tests of the public APIs (`*.test-d.ts`): type-checked, never run.
      typesProject('core'),
      typesProject('server'),
      typesProject('client'),
      {
        plugins: [react()],
        resolve: { conditions },
        test: {
          name: 'dashboard',
          root: 'apps/dashboard',
          include: ['src/**/*.test.{ts,tsx}'],
          environment: 'jsdom',
          setupFiles: [seedSetup, './src/test/setup.ts'],
        },
      },
    ],
  },
});
