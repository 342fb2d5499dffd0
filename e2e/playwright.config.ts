import { defineConfig } from '@playwright/test';

// The real `spool serve --demo`, from source, on its own port; Debian's Chromium
// (Playwright cannot download a browser here).
const port = Number(process.env.SPOOL_E2E_PORT ?? 8737);

export default defineConfig({
  testDir: './specs',
  outputDir: './artifacts/results',
  timeout: 60_000,
  // Two cores shared with other test runs: give each UI assertion room beyond Playwright's 5 s.
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    // The screenshots are taken at this width (and the overview once more at 390 px).
    viewport: { width: 1280, height: 720 },
    launchOptions: {
      executablePath: '/usr/lib/chromium/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    screenshot: 'only-on-failure',
    trace: 'off',
  },
  webServer: {
    command: `node --import tsx/esm --conditions=@spool/source ../packages/server/src/cli.ts serve --demo --port ${port}`,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
