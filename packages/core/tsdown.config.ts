import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    protocol: 'src/protocol/entry.ts',
    chat: 'src/chat/index.ts',
    testing: 'src/testing.ts',
  },
  format: 'esm',
  dts: true,
  fixedExtension: false,
  clean: true,
  external: ['vitest'],
});
