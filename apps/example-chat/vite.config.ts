import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

// The `spool serve` the page talks to. The page connects to its own origin, and these
// proxies pass `/v1` (the WebSocket included) on, so the built app needs no server URL.
const target = process.env.SPOOL_URL ?? 'http://127.0.0.1:8080';
const proxy = {
  // Listed before `/v1` so the upgrade is proxied as a WebSocket.
  '/v1/ws': { target, ws: true, changeOrigin: true },
  '/v1': { target, changeOrigin: true },
};

export default defineConfig({
  plugins: [react()],
  // Workspace packages export their TypeScript source under this condition (no build of
  // @spool/client needed first). An app using the published packages leaves this out.
  resolve: { conditions: ['@spool/source', ...defaultClientConditions] },
  server: { proxy },
  preview: { proxy },
  build: { outDir: 'dist', emptyOutDir: true },
});
