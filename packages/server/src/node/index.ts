/**
 * @spool/server/node: serving a Spool on Node (docs/architecture.md, "The package and
 * entry graph"). `attach(spool, server)` and `listen(spool)` plug the WebSocket transport
 * (`ws`) into the Spool, serve `spool.fetch` through the node:http bridge, and install
 * Prometheus metrics (`GET /metrics`); the open local mode's loopback checks apply to the
 * bound address.
 *
 * @example
 * import { createSpool } from '@spool/server';
 * import { listen } from '@spool/server/node';
 * const { url } = await listen(createSpool(), { port: 8080 });
 */
export { isLoopback } from '../auth/loopback';
export {
  type NodeBridgeOptions,
  nodeBridgeDefaults,
  nodeListener,
  toRequest,
  writeResponse,
} from '../http/node-bridge';
export {
  BREAKER_STATE_VALUE,
  SpoolMetrics,
  type SpoolMetricsOptions,
  spoolMetricsDefaults,
} from '../metrics/spool-metrics';
export {
  type AttachOptions,
  attach,
  handleUpgrade,
  type ListenOptions,
  listen,
  listenDefaults,
  requestListener,
  type SpoolServer,
} from './attach';
export { installMetrics } from './install-metrics';
