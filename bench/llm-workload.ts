/**
 * One subject of bench/llm-replies.ts, in a process of its own: N concurrent LLM-like
 * replies of T tokens, each read by one client that is cut at a random token, stays offline
 * a random while, and resumes. The cut plan comes from a seed, so every subject gets the
 * same one. Every reply's final text is checked against what the model wrote.
 *
 * Protocol: the parent sends `{ cmd: 'round', seed, round }` and gets a {@link RoundResult},
 * or `{ cmd: 'close' }` and gets `{ closed: true }`. argv: subject name, Redis URL, key prefix.
 */
import { seededRandom } from '@spool/core/internal';
import { resumableStreamSubject } from './llm-resumable-subject';
import { spoolSubject } from './llm-spool-subject';
import { type LlmSubject, type ReplyConnection, type ReplyHandlers, Ticker } from './llm-subject';

export type SubjectName = 'spool-memory' | 'spool-redis' | 'resumable-stream';

export interface WorkloadShape {
  replies: number;
  tokens: number;
  tokenMs: number;
  /** Offline time after the cut is uniform in [minOfflineMs, maxOfflineMs]. */
  minOfflineMs: number;
  maxOfflineMs: number;
  /** Reply starts are spread evenly over this window. */
  staggerMs: number;
}

export interface RoundResult {
  /** Per resume that caught up: ms from the resume request to the first token the producer had written when it began. */
  latencies: number[];
  /** Per resume that caught up: bytes read on the resume connection until then. */
  resumeBytes: number[];
  /** Per reply: bytes read over all its connections, to the end. */
  replyBytes: number[];
  tokens: number;
  resumes: number;
  /** Resumes the server refused (the missed part is lost to that client). */
  refused: number;
  refusedReasons: string[];
  resets: number;
  /** Replies that ended with a text other than the model's (must be 0). */
  wrongText: number;
  errors: string[];
  redisCommands: number;
}

const WORDS = [
  ' the',
  ' model',
  ' says',
  ' token',
  ',',
  '.',
  ' stream',
  ' résumé',
  ' 👋',
  ' and',
  ' of',
  ' resume',
];

/** The fake model: a deterministic reply of `n` tokens. */
function modelReply(seed: number, n: number): string[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]!);
}

function runReply(
  subject: LlmSubject,
  id: string,
  tokens: string[],
  plan: { cutAt: number; offlineMs: number },
  out: RoundResult,
): Promise<void> {
  const expected = tokens.join('');
  const client = subject.reply(id, tokens);
  let text = '';
  let count = 0;
  let first: ReplyConnection | undefined;
  let second: ReplyConnection | undefined;
  let resumeAt = 0;
  let catchUpTo = Number.POSITIVE_INFINITY;
  let caughtUp = false;
  let offline = false;
  return new Promise<void>((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      out.replyBytes.push((first?.bytesRead() ?? 0) + (second?.bytesRead() ?? 0));
      second?.cut();
      resolve();
    };
    const progress = () => {
      if (second && !caughtUp && count >= catchUpTo) {
        caughtUp = true;
        out.latencies.push(performance.now() - resumeAt);
        out.resumeBytes.push(second.bytesRead());
      }
      if (!offline && first && count >= plan.cutAt) {
        // Tokens that were already in the cut connection's last read still count: the
        // client has them, and its resume position says so.
        offline = true;
        first.cut();
        out.resumes++;
        setTimeout(() => {
          // Caught up once the client holds what the producer had written when it came back
          // (at least the first token it missed).
          catchUpTo = Math.max(subject.produced(id), count + 1);
          resumeAt = performance.now();
          second = client.resume(handlers);
        }, plan.offlineMs);
      }
    };
    const handlers: ReplyHandlers = {
      token(t) {
        text += t;
        count++;
        progress();
      },
      snapshot(t, n) {
        text = t;
        count = n;
        progress();
      },
      end() {
        if (text !== expected) out.wrongText++;
        if (second && !caughtUp) {
          // Everything was written before the resume: caught up at the end.
          caughtUp = true;
          out.latencies.push(performance.now() - resumeAt);
          out.resumeBytes.push(second.bytesRead());
        }
        finish();
      },
      refused(reason) {
        out.refused++;
        if (!out.refusedReasons.includes(reason)) out.refusedReasons.push(reason);
        finish();
      },
      reset() {
        out.resets++;
      },
      error(err) {
        out.errors.push(`${id}: ${err.message}`);
        finish();
      },
    };
    first = client.open(handlers);
  });
}

async function runRound(
  subject: LlmSubject,
  shape: WorkloadShape,
  seed: number,
  round: number,
): Promise<RoundResult> {
  const out: RoundResult = {
    latencies: [],
    resumeBytes: [],
    replyBytes: [],
    tokens: shape.replies * shape.tokens,
    resumes: 0,
    refused: 0,
    refusedReasons: [],
    resets: 0,
    wrongText: 0,
    errors: [],
    redisCommands: 0,
  };
  const rand = seededRandom(seed);
  const before = subject.redisCommands();
  const replies: Promise<void>[] = [];
  for (let i = 0; i < shape.replies; i++) {
    const plan = {
      cutAt: 1 + Math.floor(rand() * (shape.tokens - 1)),
      offlineMs: shape.minOfflineMs + Math.floor(rand() * (shape.maxOfflineMs - shape.minOfflineMs)),
    };
    const tokens = modelReply(seed * 1000 + i, shape.tokens);
    replies.push(runReply(subject, `r${round}-${i}`, tokens, plan, out));
    // Replies start spread over the window, as users' requests arrive.
    await new Promise((r) => setTimeout(r, shape.staggerMs / shape.replies));
  }
  await Promise.all(replies);
  await subject.drained();
  out.redisCommands = subject.redisCommands() - before;
  return out;
}

async function main(): Promise<void> {
  const [name, redisUrl, prefix, shapeJson] = process.argv.slice(2) as [SubjectName, string, string, string];
  const shape = JSON.parse(shapeJson) as WorkloadShape;
  const ticker = new Ticker(shape.tokenMs);
  const subject =
    name === 'resumable-stream'
      ? await resumableStreamSubject(ticker, redisUrl, prefix)
      : await spoolSubject(ticker, name === 'spool-redis' ? { url: redisUrl, prefix } : undefined);
  process.on('message', async (m: { cmd: 'round'; seed: number; round: number } | { cmd: 'close' }) => {
    if (m.cmd === 'round') {
      process.send!(await runRound(subject, shape, m.seed, m.round));
    } else {
      ticker.stop();
      await subject.close();
      process.send!({ closed: true });
      process.exit(0);
    }
  });
  process.send!({ ready: true });
}

await main();
