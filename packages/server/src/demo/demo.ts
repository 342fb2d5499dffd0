import { channelTopic, parseChannelTopic } from '@spool/core';
import * as v from 'valibot';
import { jsonResponse } from '../http/errors';
import { readBody } from '../http/routes/request-input';
import type { SpoolInstance } from '../spool';
import { DEMO_CHANNELS, DemoProducer, type DemoProducerOptions } from './demo-producer';
import { type DemoWorkers, type DemoWorkersOptions, startDemoWorkers } from './demo-workers';

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Options of the simulated LLM replies. */
  producer?: DemoProducerOptions;
  /** Options of the workers on `spool:completed`. */
  workers?: DemoWorkersOptions;
  /**
   * Whether the producer starts scheduling replies at once. `spool serve` in a cluster
   * starts it only on the instance that holds the demo lock. @default true
   */
  produce?: boolean;
}

/** A running demo: its producer, its workers, and how to stop both. */
export interface Demo {
  /** The simulated LLM replies. */
  producer: DemoProducer;
  /** The workers on `spool:completed`. */
  workers: DemoWorkers;
  /** Starts (again) scheduling replies. */
  startProducing(): void;
  /** Stops scheduling replies (those streaming go on until shutdown ends them). */
  stopProducing(): void;
  /** Stops the workers gracefully. */
  stopWorkers(): Promise<void>;
}

const replyBody = v.object({
  channel: v.optional(
    v.pipe(v.string('must be a channel topic such as "chan:1:general"'), v.minLength(1, 'must not be empty')),
  ),
});

/**
 * `spool serve --demo`: the simulated LLM producer, the `workers` consumer group on
 * `spool:completed`, and `POST /v1/demo/replies { channel? }` → `201 { messageId, topic }`,
 * which starts one more reply for the dashboard's playground (it needs the `produce`
 * right on the channel).
 *
 * @example
 * const demo = startDemo(spool);
 * demo.stopProducing();
 * await spool.close();
 * await demo.stopWorkers();
 */
export function startDemo(spool: SpoolInstance, options: DemoOptions = {}): Demo {
  const producer = new DemoProducer(spool, options.producer);
  spool.router.post('/v1/demo/replies', async (_req, _params, ctx) => {
    const body = await readBody(ctx, replyBody, 'POST /v1/demo/replies');
    const channel = body.channel ?? DEMO_CHANNELS[0]!;
    const parsed = parseChannelTopic(channel);
    if (parsed) await ctx.authorize('produce', channelTopic(parsed.channelType, parsed.channelId));
    return jsonResponse(await producer.reply(channel), 201);
  });
  const workers = startDemoWorkers(spool, options.workers);
  if (options.produce !== false) producer.start();
  return {
    producer,
    workers,
    startProducing: () => producer.start(),
    stopProducing: () => producer.stopScheduling(),
    stopWorkers: async () => {
      await workers.stop();
    },
  };
}
