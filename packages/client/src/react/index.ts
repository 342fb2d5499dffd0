export { frameBatched } from './frame-batched';
export {
  type ChannelView,
  type TopicView,
  type UseChannelOptions,
  type UseTopicOptions,
  useChannel,
  useConnectionState,
  useMessage,
  useTopic,
} from './hooks';
export { SpoolProvider, useSpoolClient } from './spool-provider';
