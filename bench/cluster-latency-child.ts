/** Runs bench/cluster-latency.ts's measurement in this (forked, fresh) process and sends it back. */
import { measureLatency } from './cluster-latency';

process.once('message', (m: { url: string; prefix: string }) => {
  measureLatency(m.url, m.prefix).then(
    (result) => process.send!(result),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
});
