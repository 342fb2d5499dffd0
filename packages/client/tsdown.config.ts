import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    producer: 'src/producer.ts',
    'sse/index': 'src/sse/index.ts',
    'react/index': 'src/react/index.ts',
  },
  format: 'esm',
  dts: true,
  fixedExtension: false,
  clean: true,
  external: ['react', /^@spool\/core/],
});
