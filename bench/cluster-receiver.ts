/**
 * Instance B of bench/cluster.ts's cross-instance latency, in a process of its own (as a
 * second `spool serve` is): a Spool instance on the shared Redis that subscribes to one
 * topic, or, for the peer, a bare ioredis SUBSCRIBE. It keeps the latency of each event
 * from the publish timestamp it carries (`process.hrtime` is CLOCK_MONOTONIC, shared by
 * every process on the machine) and answers one question at a time over IPC.
 */
import { Redis } from 'ioredis';
// The topics of an instance, which the public `Spool` keeps private: subscribed in process here.
import { internalsOf } from '../packages/server/src/spool';
import { instance, until } from './cluster-latency';

/** Which subscriber a question is about. */
export type ReceiverLabel = 'spool' | 'relay';

export type ReceiverCommand =
  | { cmd: 'spool'; url: string; prefix: string; topic: string }
  | { cmd: 'relay'; url: string; channel: string }
  | { cmd: 'count'; label: ReceiverLabel }
  | { cmd: 'reset'; label: ReceiverLabel }
  | { cmd: 'collect'; label: ReceiverLabel; events: number }
  | { cmd: 'close' };

export type ReceiverReply =
  | { type: 'ready' }
  | { type: 'count'; received: number }
  | { type: 'reset' }
  | { type: 'samples'; samples: number[] }
  | { type: 'closed' };

const nowUs = () => Number(process.hrtime.bigint() / 1000n);
const reply = (r: ReceiverReply) => process.send!(r);

const samples: Record<ReceiverLabel, number[]> = { spool: [], relay: [] };
const closers: Array<() => Promise<void>> = [];

function record(label: ReceiverLabel, t: number): void {
  samples[label].push(nowUs() - t);
}

async function spool(url: string, prefix: string, topic: string): Promise<void> {
  const b = instance(url, prefix);
  const sub = internalsOf(b.spool)
    .topics.getOrCreate(topic)
    .subscribe({ onEvent: (ev) => record('spool', (ev.data as { t: number }).t) });
  closers.push(async () => {
    sub.close();
    await b.close();
  });
  await until(() => b.topics.notifier.channels > 0, 'the subscription');
}

async function relay(url: string, channel: string): Promise<void> {
  const sub = new Redis(url);
  sub.on('message', (_c: string, message: string) =>
    record('relay', (JSON.parse(message) as { t: number }).t),
  );
  await sub.subscribe(channel);
  closers.push(async () => {
    sub.disconnect();
  });
}

process.on('message', (command: ReceiverCommand) => {
  void (async () => {
    switch (command.cmd) {
      case 'spool':
        await spool(command.url, command.prefix, command.topic);
        return reply({ type: 'ready' });
      case 'relay':
        await relay(command.url, command.channel);
        return reply({ type: 'ready' });
      case 'count':
        return reply({ type: 'count', received: samples[command.label].length });
      case 'reset':
        samples[command.label] = [];
        return reply({ type: 'reset' });
      case 'collect': {
        const label = command.label;
        await until(() => samples[label].length >= command.events, 'every event');
        return reply({ type: 'samples', samples: samples[label] });
      }
      case 'close':
        for (const close of closers.splice(0)) await close();
        return reply({ type: 'closed' });
    }
  })().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
});
