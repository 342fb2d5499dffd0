/**
 * Type tests of the client's public API, as users import it (the main entry,
 * `@spool/client/producer` and `@spool/client/react`): what `client.on` hands each listener, and what the hooks return.
 * Checked by `tsc -b` and by Vitest's typecheck (the `client:types` project); never run, so
 * the hooks are called outside a component here.
 */
import { describe, expectTypeOf, it } from 'vitest';
import {
  type AssembledMessage,
  type ChannelStore,
  type ConnectionState,
  type MessageStatus,
  SpoolClient,
  type SpoolError,
  type SpoolEvent,
  type Subscription,
} from './index';
import type { MessageWriter, SpoolProducer } from './producer';
import {
  type ChannelView,
  type TopicView,
  type UseChannelOptions,
  type UseTopicOptions,
  useChannel,
  useConnectionState,
  useMessage,
  useTopic,
} from './react/index';

declare const client: SpoolClient;
declare const producer: SpoolProducer;

describe('client.on', () => {
  it('hands each event type its own listener argument and returns what stops it', () => {
    client.on('state', (state) => expectTypeOf(state).toEqualTypeOf<ConnectionState>());
    client.on('error', (err) => {
      expectTypeOf(err).toEqualTypeOf<SpoolError>();
      expectTypeOf(err.code).toEqualTypeOf<SpoolError['code']>();
    });
    expectTypeOf(client.on('state', () => {})).toEqualTypeOf<() => void>();
    expectTypeOf(client.on('error', () => {})).toEqualTypeOf<() => void>();
    expectTypeOf<ConnectionState>().toEqualTypeOf<'connecting' | 'open' | 'reconnecting' | 'closed'>();
  });

  it('refuses an unknown event and a listener of the other event', () => {
    // @ts-expect-error there is no 'message' event: messages come through subscriptions and stores
    client.on('message', () => {});
    // @ts-expect-error a state listener gets the state, not an error
    client.on('state', (err: SpoolError) => err);
    // @ts-expect-error an error listener gets a SpoolError, not a state
    client.on('error', (state: ConnectionState) => state);
  });
});

describe('SpoolClient', () => {
  it('types the calls the README shows', () => {
    expectTypeOf(SpoolClient).constructorParameters.toMatchTypeOf<[url: string, options?: object]>();
    expectTypeOf(client.state).toEqualTypeOf<ConnectionState>();
    expectTypeOf(client.publish('chan:1:general', { text: 'hi' }, { event: 'note' })).toEqualTypeOf<
      Promise<string>
    >();
    expectTypeOf(client.subscribe('chan:1:general', { after: '0-0' })).toEqualTypeOf<Subscription>();
    expectTypeOf(client.message('1').getSnapshot()).toEqualTypeOf<AssembledMessage>();
    expectTypeOf(client.channel(1, 'general')).toEqualTypeOf<ChannelStore & { subscription: Subscription }>();
    expectTypeOf(
      producer.openMessage({ channelId: 'general', channelType: 1 }),
    ).toEqualTypeOf<MessageWriter>();
    expectTypeOf(producer).toMatchTypeOf<SpoolClient>();
    // @ts-expect-error writing is in @spool/client/producer, so subscribers do not bundle it
    client.openMessage({ channelId: 'general', channelType: 1 });
    expectTypeOf<AssembledMessage['status']>().toEqualTypeOf<MessageStatus>();
    expectTypeOf<AssembledMessage['lastChunkId']>().toEqualTypeOf<number>();
    // @ts-expect-error a channel type is a number
    client.channel('1', 'general');
  });
});

describe('React hooks', () => {
  it('useConnectionState returns the state', () => {
    expectTypeOf(useConnectionState).returns.toEqualTypeOf<ConnectionState>();
  });

  it('useTopic takes a topic and options, and returns the events and the resume point', () => {
    expectTypeOf(useTopic).parameters.toEqualTypeOf<[topic: string, options?: UseTopicOptions]>();
    expectTypeOf(useTopic).returns.toEqualTypeOf<TopicView>();
    expectTypeOf<TopicView['events']>().toEqualTypeOf<SpoolEvent[]>();
    expectTypeOf<TopicView['lastEventId']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<UseTopicOptions>().toHaveProperty('max');
    expectTypeOf<UseTopicOptions['enabled']>().toEqualTypeOf<boolean | undefined>();
    // @ts-expect-error useTopic's options have no `onEvent`: a component reads `events`
    useTopic('chan:1:general', { onEvent: () => {} });
  });

  it('useChannel takes the channel type first, and returns the assembled messages and paging', () => {
    expectTypeOf(useChannel).parameters.toEqualTypeOf<
      [channelType: number, channelId: string, options?: UseChannelOptions]
    >();
    expectTypeOf(useChannel).returns.toEqualTypeOf<ChannelView>();
    expectTypeOf<ChannelView['messages']>().toEqualTypeOf<AssembledMessage[]>();
    expectTypeOf<ChannelView['hasOlder']>().toEqualTypeOf<boolean>();
    expectTypeOf<ChannelView['loadOlder']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<UseChannelOptions['enabled']>().toEqualTypeOf<boolean | undefined>();
    // @ts-expect-error useChannel takes the channel type first, as a number
    useChannel('general', 1);
  });

  it('useMessage takes a message ID and returns the assembled message', () => {
    expectTypeOf(useMessage).parameters.toEqualTypeOf<[messageId: string]>();
    expectTypeOf(useMessage).returns.toEqualTypeOf<AssembledMessage>();
  });
});
