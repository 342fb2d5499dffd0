export * from './completion-record';
export * from './memory-message-store';
export * from './message-store';
export * from './store-query';
export * from './stored-message';
