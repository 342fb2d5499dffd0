/**
 * Contract suites that every backend runs: `storeContract` for MessageStore
 * implementations, `brokerContract` for StreamBroker implementations and
 * `topicLogContract` for TopicLog implementations. This entry
 * imports vitest; application code never needs it.
 */
export * from './broker/testing';
export * from './log/testing';
export * from './store/testing';
