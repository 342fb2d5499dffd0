import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

// `spool serve` listens here by default (ARCHITECTURE "spool serve defaults").
const target = 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/',
  plugins: [react()],
  // Workspace packages export their TypeScript source under this condition, so the dev
  // server and the build never need `@spool/client` to be built first (STACK.md).
  resolve: { conditions: ['@spool/source', ...defaultClientConditions] },
  server: {
    proxy: {
      // Listed before `/v1` so the upgrade is proxied as a WebSocket.
      '/v1/ws': { target, ws: true, changeOrigin: true },
      '/v1': { target, changeOrigin: true },
      '/healthz': { target, changeOrigin: true },
      '/readyz': { target, changeOrigin: true },
      '/metrics': { target, changeOrigin: true },
    },
  },
  // Relative to this folder (the package's root, where `pnpm --filter @spool/dashboard build` runs):
  // `spool serve` serves apps/dashboard/dist at `/`.
  build: { outDir: 'dist', emptyOutDir: true },
});
