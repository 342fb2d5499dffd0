/**
 * Loaded into each `spool serve` child with `--import`, beside the CLI: answers the
 * harness over the IPC channel with the process's memory and its live handles (sockets,
 * timers), so the scenarios measure the real server without any route added to it.
 */
interface ProbeRequest {
  probe: number;
  gc?: boolean;
}

const collect = (globalThis as { gc?: () => void }).gc;

process.on('message', (msg: ProbeRequest) => {
  if (typeof msg?.probe !== 'number') return;
  // A full collection first (the child runs with --expose-gc), so heap figures are live
  // data, not garbage that happened not to be collected yet.
  if (msg.gc && collect) {
    collect();
    collect();
  }
  const m = process.memoryUsage();
  const resources: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) resources[r] = (resources[r] ?? 0) + 1;
  process.send?.({ probe: msg.probe, rss: m.rss, heapUsed: m.heapUsed, external: m.external, resources });
});
// The channel must not keep the process alive: a SIGTERM'd server exits on its own.
process.channel?.unref();

// A module, so its names stay out of the global scope.
export {};
