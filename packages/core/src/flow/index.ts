export { sleepOnClock } from './abort';
export * from './backoff';
export * from './chunk-pacer';
export * from './circuit-breaker';
export * from './credit-window';
export * from './retry';
