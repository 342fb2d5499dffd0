export {
  type SseState,
  type SseSubscribeOptions,
  SseSubscription,
  sseDefaults,
  subscribeSse,
} from './sse-subscription';
