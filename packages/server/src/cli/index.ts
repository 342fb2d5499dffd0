/**
 * @spool/server/cli: `spool serve` as a library (docs/architecture.md, "The package and
 * entry graph"): its flags and environment, the server it starts (pino logs, the
 * dashboard, the Redis and PostgreSQL engines it loads), the demo, and the operators'
 * dashboard for an application that embeds Spool on Node. The `spool` bin runs the same.
 *
 * @example
 * import { parseServeArgs, startServe } from '@spool/server/cli';
 * const command = parseServeArgs(['serve', '--demo'], process.env);
 */
export { bundledDashboardDir } from '../dashboard/bundled-dashboard';
export { type WithDashboardOptions, withDashboard } from '../dashboard/with-dashboard';
export { type Demo, type DemoOptions, startDemo } from '../demo/demo';
export {
  DEMO_CHANNELS,
  DemoProducer,
  type DemoProducerOptions,
  type DemoProducerStats,
  demoProducerDefaults,
} from '../demo/demo-producer';
export {
  DEMO_GROUP,
  type DemoWorkers,
  type DemoWorkersOptions,
  demoWorkersDefaults,
  startDemoWorkers,
} from '../demo/demo-workers';
export { dashboardAssets } from './dashboard-assets';
export { type ServeDeps, type ServeHandle, startServe } from './serve';
export { parseServeArgs, type ServeCommand, type ServeConfig, serveHelp } from './serve-options';
