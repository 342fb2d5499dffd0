export * from './event-id';
export * from './message-id';
export * from './messages';
