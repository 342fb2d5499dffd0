/**
 * Contract suites that every backend runs: `storeContract` for MessageStore
 * implementations and `brokerContract` for StreamBroker implementations. This entry
 * imports vitest; application code never needs it.
 */
export * from './broker/testing';
export * from './store/testing';
