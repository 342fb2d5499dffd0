/**
 * `@spool/core` exports what users call and `@spool/core/internal` what only Spool's own
 * packages use (docs/architecture.md, "Packages"): together they export every runtime
 * symbol of core's modules, each from one entry.
 */
import { describe, expect, it } from 'vitest';
import * as broker from './broker';
import * as cache from './cache';
import * as chatBytes from './chat/bytes';
import * as chatProducer from './chat/chat-producer';
import * as joinChunks from './chat/join-chunks';
import * as messageRuns from './chat/message-runs';
import * as metaPatch from './chat/meta-patch';
import * as errors from './errors';
import * as flow from './flow';
import * as core from './index';
import * as internal from './internal';
import * as log from './log';
import * as logger from './logger';
import * as pipeline from './pipeline';
import * as protocol from './protocol';
import * as stats from './stats';
import * as store from './store';
import * as clock from './time/clock';
import * as seeded from './time/seeded-random';

// The chat pipeline's files, beside the barrels (the chat reducer has an entry of its own, `@spool/core/chat`).
const chatPipeline = [chatBytes, chatProducer, joinChunks, messageRuns, metaPatch];
const modules = [
  broker,
  cache,
  errors,
  flow,
  log,
  logger,
  pipeline,
  protocol,
  stats,
  store,
  clock,
  seeded,
  ...chatPipeline,
];
const names = (m: object) => Object.keys(m).sort();

describe('core entries', () => {
  it('export every runtime symbol of core’s modules, each from exactly one of @spool/core and /internal', () => {
    const all = [...new Set(modules.flatMap(names))].sort();
    const both = names(core).filter((n) => n in internal);
    expect(both).toEqual([]);
    expect([...names(core), ...names(internal)].sort()).toEqual(all);
  });

  it('keep Redis argument checkers, stream-ID parsing and store query helpers out of @spool/core', () => {
    const plumbing = names(core).filter((n) =>
      /^(assertStream|check[A-Z]|parseXaddId|parseStreamId|parseRangeBound|flattenStreamFields|streamFieldsToRecord|pageLimit|listAfterLimit|senderQuery|fieldQuery|channelQuery|seededRandom)/.test(
        n,
      ),
    );
    expect(plumbing).toEqual([]);
    for (const n of ['assertStreamName', 'checkTrimArgs', 'parseXaddId', 'pageLimit', 'seededRandom'])
      expect(internal).toHaveProperty(n);
  });

  it('keep what users call in @spool/core', () => {
    for (const n of [
      'StreamCache',
      'MemoryBroker',
      'MemoryMessageStore',
      'TopicRegistry',
      'SpoolError',
      'encodeSseEvent',
      'createPipeline',
      'createManualClock',
      'channelTopic',
    ])
      expect(core).toHaveProperty(n);
  });
});
