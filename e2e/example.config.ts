import { execFileSync } from 'node:child_process';
import { defineConfig } from '@playwright/test';
import base from './playwright.config';

// The example chat (`pnpm example`'s own script) on two free ports: its page and its
// `spool serve`. Playwright loads this file again in each worker, so the ports chosen
// here are passed on through the environment rather than picked twice.
const freePort = (): string =>
  execFileSync(process.execPath, [
    '-e',
    "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})",
  ]).toString();
process.env.EXAMPLE_E2E_PORT ??= freePort();
process.env.EXAMPLE_E2E_SPOOL_PORT ??= freePort();
const pagePort = process.env.EXAMPLE_E2E_PORT;
const spoolPort = process.env.EXAMPLE_E2E_SPOOL_PORT;

export default defineConfig({
  ...base,
  testDir: './example-specs',
  outputDir: './artifacts/example-results',
  use: { ...base.use, baseURL: `http://127.0.0.1:${pagePort}` },
  webServer: {
    command: 'pnpm --filter @spool/example-chat start',
    url: `http://127.0.0.1:${pagePort}/`,
    // A reply of 80 tokens takes 8 s: long enough to reload, go offline or stop in the middle.
    // 150 events per topic: a room of a few dozen messages outgrows its topic, and the
    // history spec pages the rest in from the store.
    env: {
      EXAMPLE_PORT: pagePort,
      SPOOL_PORT: spoolPort,
      EXAMPLE_TOKEN_MS: '100',
      SPOOL_RETENTION_EVENTS: '150',
    },
    reuseExistingServer: false,
    timeout: 90_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
