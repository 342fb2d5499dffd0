import { defineConfig } from 'tsdown';

export default defineConfig({
  // One entry per driver, so the main entry loads none: `ioredis`, `pg` and PGlite are optional peers.
  entry: {
    index: 'src/index.ts',
    cli: 'src/cli.ts',
    postgres: 'src/postgres/index.ts',
    redis: 'src/redis/index.ts',
    pglite: 'src/postgres/pglite.ts',
  },
  format: 'esm',
  platform: 'node',
  dts: true,
  fixedExtension: false,
  clean: true,
});
