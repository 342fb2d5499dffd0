import { defineConfig } from 'tsdown';

export default defineConfig({
  // One entry per runtime and per driver, so the main entry loads none (docs/architecture.md,
  // "The package and entry graph"): `ioredis`, `pg` and PGlite are optional peers.
  entry: {
    index: 'src/index.ts',
    node: 'src/node/index.ts',
    cli: 'src/cli/index.ts',
    bin: 'src/cli.ts',
    postgres: 'src/postgres/index.ts',
    redis: 'src/redis/index.ts',
    pglite: 'src/postgres/pglite.ts',
    testing: 'src/testing.ts',
  },
  format: 'esm',
  platform: 'node',
  dts: true,
  fixedExtension: false,
  clean: true,
});
