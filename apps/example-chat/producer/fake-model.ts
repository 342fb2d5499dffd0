import type { ReplyModel } from './reply-model';

export interface FakeModelOptions {
  /** Tokens in every reply. @default 80 */
  tokens?: number;
  /** Pause before each token, as a model's generation time. @default 40 */
  tokenDelayMs?: number;
}

export const fakeModelDefaults = { tokens: 80, tokenDelayMs: 40 } as const;

const WORDS = [
  'spool',
  'streams',
  'every',
  'token',
  'to',
  'each',
  'tab',
  'and',
  'a',
  'reload',
  'resumes',
  'exactly',
  'where',
  'it',
  'left',
  'off',
  'nothing',
  'is',
  'lost',
  'the',
  'reply',
  'keeps',
  'going',
  'while',
  'you',
  'are',
  'away',
  'chunks',
  'arrive',
  'in',
  'order',
  'with',
  'no',
  'gap',
  'resume',
  'after',
  'network',
  'loss',
  'feels',
  'instant',
  'because',
  'log',
  'holds',
  'what',
  'missed',
  'é',
  '🙂',
  'naïve',
  'café',
];

/**
 * The tokens of the fake model's reply to `prompt`: the same prompt always gives the same
 * reply (FNV-1a of the prompt seeds a small LCG), so tests can know the exact text. A few
 * multibyte words and an emoji make sure text survives UTF-8 on every hop.
 *
 * @example
 * fakeReplyTokens('hi', 3); // e.g. ['Reply to “hi”:', ' tab', ' é']
 */
export function fakeReplyTokens(prompt: string, tokens: number = fakeModelDefaults.tokens): string[] {
  let seed = 0x811c9dc5;
  for (let i = 0; i < prompt.length; i++) seed = Math.imul(seed ^ prompt.charCodeAt(i), 0x01000193) >>> 0;
  const out = [`Reply to “${prompt.slice(0, 40)}”:`];
  for (let i = 1; i < tokens; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    out.push(` ${WORDS[seed % WORDS.length]}`);
  }
  return out.slice(0, Math.max(0, tokens));
}

/**
 * A deterministic stand-in for an LLM: replies to the last user turn with
 * {@link fakeReplyTokens}, one token every `tokenDelayMs`, and stops at once when the
 * signal aborts.
 *
 * @example
 * const model = fakeModel({ tokenDelayMs: 0 });
 * for await (const t of model([{ role: 'user', text: 'hi' }], AbortSignal.timeout(1000))) process.stdout.write(t);
 */
export function fakeModel(options: FakeModelOptions = {}): ReplyModel {
  const { tokens, tokenDelayMs } = { ...fakeModelDefaults, ...options };
  return async function* (conversation, signal) {
    const prompt = conversation.findLast((t) => t.role === 'user')?.text ?? '';
    for (const token of fakeReplyTokens(prompt, tokens)) {
      await pause(tokenDelayMs, signal);
      if (signal.aborted) return;
      yield token;
    }
  };
}

/** Waits `ms`, or less when `signal` aborts first (it then resolves: the caller checks the signal). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
