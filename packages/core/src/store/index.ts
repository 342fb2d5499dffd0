export * from './memory-message-store';
export * from './message-store';
export * from './stored-message';
