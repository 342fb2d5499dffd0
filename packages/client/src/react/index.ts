export { frameBatched } from './frame-batched';
export {
  type TopicView,
  type UseTopicOptions,
  useChannel,
  useConnectionState,
  useMessage,
  useTopic,
} from './hooks';
export { SpoolProvider, useSpoolClient } from './spool-provider';
