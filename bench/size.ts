/**
 * `pnpm size`: the client's bundle size, minified and gzipped, next to the clients people
 * reach for instead, each built the same way in the same run (esbuild: bundle, minify,
 * platform browser, ESM; gzip -9 through node:zlib):
 * - the WebSocket client against socket.io-client, centrifuge (Centrifugo's SDK, JSON
 *   protocol), partysocket and reconnecting-websocket;
 * - the SSE client against the `eventsource` polyfill.
 *
 * The main entry is the WebSocket client with resume, producing and assembly, bundled
 * together with whatever it imports from @spool/core. Its budget is 6,144 B gzipped,
 * which leaves room for failover and token refresh; `pnpm size` exits with 1 past it, so
 * CI (.ci/run) fails. Beside it: the subscribe-only import (`SpoolClient` alone, what an
 * app that only subscribes pulls in). The SSE and React entries are separate subpath
 * exports, reported on their own (React itself left out).
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { type BenchOutput, report } from './harness';
import type { BarChartSpec } from './report/chart-spec';

const here = fileURLToPath(new URL('.', import.meta.url));
/** The main entry's budget, min+gzip. */
export const CLIENT_BUDGET_BYTES = 6 * 1024;

interface Measured {
  min: number;
  gz: number;
}

/** Bundles `source` (an ES module, resolved from bench/) and returns its sizes. */
async function measure(source: string, external: string[] = []): Promise<Measured> {
  const out = await build({
    stdin: { contents: source, resolveDir: here, loader: 'ts' },
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'esm',
    conditions: ['@spool/source'],
    external,
    write: false,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0]!.contents;
  return { min: code.length, gz: gzipSync(code, { level: 9 }).length };
}

/** Measures and reports; `withinBudget` says whether the main entry is within {@link CLIENT_BUDGET_BYTES}. */
export default async function run(): Promise<BenchOutput & { withinBudget: boolean }> {
  const client = await measure("export * from '@spool/client';");
  const subscribeOnly = await measure("export { SpoolClient } from '@spool/client';");
  const producer = await measure("export * from '@spool/client/producer';");
  const sse = await measure("export * from '@spool/client/sse';");
  const react = await measure("export * from '@spool/client/react';", ['react', 'react-dom']);
  const wsPeers = {
    'socket.io-client': await measure("export { io, Manager, Socket } from 'socket.io-client';"),
    centrifuge: await measure("export { Centrifuge } from 'centrifuge';"),
    partysocket: await measure("export { default } from 'partysocket';"),
    'reconnecting-websocket': await measure("export { default } from 'reconnecting-websocket';"),
  };
  const ssePeers = { eventsource: await measure("export { EventSource } from 'eventsource';") };

  const vs = (of: Measured, peers: Record<string, Measured>, field: keyof Measured) =>
    Object.entries(peers).map(([peer, m]) => ({
      name: `  vs ${peer}`,
      value: m[field],
      unit: 'B',
      peer,
      ratio: of[field] / m[field],
    }));
  const gz = report('Bundle size, minified + gzip -9 (bytes)', [
    {
      name: '@spool/client (WS, resume, assemble)',
      value: client.gz,
      unit: 'B',
      target: `<= ${CLIENT_BUDGET_BYTES} B (6 KiB)`,
    },
    { name: '  subscribe-only import (SpoolClient alone)', value: subscribeOnly.gz, unit: 'B' },
    ...vs(client, wsPeers, 'gz'),
    { name: '@spool/client/producer (client + paced writer)', value: producer.gz, unit: 'B' },
    { name: '@spool/client/sse', value: sse.gz, unit: 'B' },
    ...vs(sse, ssePeers, 'gz'),
    { name: '@spool/client/react (react external)', value: react.gz, unit: 'B' },
  ]);
  const min = report('Bundle size, minified only (bytes)', [
    { name: '@spool/client', value: client.min, unit: 'B' },
    { name: '  subscribe-only import (SpoolClient alone)', value: subscribeOnly.min, unit: 'B' },
    ...vs(client, wsPeers, 'min'),
    { name: '@spool/client/producer', value: producer.min, unit: 'B' },
    { name: '@spool/client/sse', value: sse.min, unit: 'B' },
    ...vs(sse, ssePeers, 'min'),
    { name: '@spool/client/react', value: react.min, unit: 'B' },
  ]);
  const withinBudget = client.gz <= CLIENT_BUDGET_BYTES;
  const verdict = `@spool/client ${withinBudget ? 'meets' : 'EXCEEDS'} its budget: ${client.gz} of ${CLIENT_BUDGET_BYTES} B gzipped (subscribe-only import: ${subscribeOnly.gz} B).`;
  console.log(`\n  ${verdict}`);
  const all: Array<[string, Measured]> = [
    ['@spool/client', client],
    ...Object.entries(wsPeers),
    ['@spool/client/sse', sse],
    ...Object.entries(ssePeers),
  ];
  const chart: BarChartSpec = {
    kind: 'bar',
    id: 'bundle',
    title: 'Client bundle size (esbuild, minified, gzip -9)',
    subtitle: 'WebSocket clients, then SSE clients; smaller is better',
    yLabel: 'bytes',
    categories: all.map(([name]) => name),
    series: [
      { name: 'min+gzip', values: all.map(([, m]) => m.gz) },
      { name: 'minified', values: all.map(([, m]) => m.min) },
    ],
  };
  return { tables: [gz, min], charts: [chart], notes: [verdict], withinBudget };
}

// `pnpm size` runs this file directly (and fails past the budget); bench/run.ts imports it.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!(await run()).withinBudget) process.exitCode = 1;
}
