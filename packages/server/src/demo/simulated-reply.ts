import { type DemoRandom, pick, randomInt } from './demo-random';

/** One token of a simulated reply, and how long the "model" takes before it. */
export interface SimulatedToken {
  text: string;
  delayMs: number;
}

const OPENERS = [
  'Good question!',
  'Sure, here is how I would approach it.',
  'Let me break this down.',
  'Short answer: it depends on your retention settings.',
  'Here is a quick overview.',
];
const TOPICS = [
  'resumable streams',
  'consumer groups',
  'backpressure',
  'the event log',
  'circuit breakers',
  'snapshot catchup',
  'idempotent publishes',
];
const SENTENCES = [
  'Each chunk gets an event ID, so a client that drops can resume from exactly the last one it saw.',
  'When the log no longer holds that ID, the store serves a snapshot of the message instead.',
  'A slow consumer is paused, then cut back to catchup, so server memory stays bounded.',
  'Workers read finished messages from a consumer group and acknowledge each one.',
  'Entries that stay pending too long are claimed by another worker and retried.',
  'After too many failed deliveries, an entry moves to the dead-letter stream for a human to look at.',
  'Credits let the client tell the server how many events it is ready to take.',
  'The circuit breaker stops hammering a store that is down and lets it recover.',
  'Retention is counted in events, bytes and age, whichever limit comes first.',
];
const BULLETS = [
  '**Resume**: send `Last-Event-ID` and get exactly what you missed.',
  '**Fan-out**: one serialised frame is written to every subscriber.',
  '**Persistence**: a message is saved once, when it ends.',
  '**Backpressure**: credits on WebSocket, stream pulls on SSE.',
  '**Observability**: `/metrics` speaks Prometheus, `$sys` pushes stats every second.',
];
const CODE = [
  [
    '```ts',
    "const client = new SpoolClient({ url: 'ws://127.0.0.1:8080/v1/ws' });",
    "client.subscribe('chan:1:general', { onEvent: console.log });",
    '```',
  ],
  ['```sh', 'curl -N http://127.0.0.1:8080/v1/topics/chan%3A1%3Ageneral/events', '```'],
  ['```ts', "await broker.xgroupCreate('jobs', 'workers', '$', { mkStream: true });", '```'],
];

/**
 * A realistic simulated LLM reply as a list of tokens: markdown-ish text (a heading, prose,
 * a bulleted list, sometimes a code block), split the way tokenizers split (word pieces of
 * 1 to about 12 characters, with their leading space), each with a delay of a few tens of
 * milliseconds and the occasional longer pause, as a model "thinks".
 *
 * @example
 * for (const { text, delayMs } of simulatedReply(seededRandom(7))) { await sleep(delayMs); write(text); }
 */
export function simulatedReply(random: DemoRandom): SimulatedToken[] {
  const lines: string[] = [`${pick(random, OPENERS)}`, '', `### About ${pick(random, TOPICS)}`, ''];
  const prose = randomInt(random, 1, 3);
  lines.push(Array.from({ length: prose }, () => pick(random, SENTENCES)).join(' '), '');
  if (random() < 0.7) {
    const bullets = [...BULLETS].sort(() => random() - 0.5).slice(0, randomInt(random, 2, 4));
    for (const b of bullets) lines.push(`- ${b}`);
    lines.push('');
  }
  if (random() < 0.4) lines.push(...pick(random, CODE), '');
  lines.push(pick(random, SENTENCES));
  const tokens = tokenize(lines.join('\n'), random);
  tokens[0]!.delayMs = randomInt(random, 300, 900); // time to first token
  return tokens;
}

function tokenize(text: string, random: DemoRandom): SimulatedToken[] {
  const tokens: SimulatedToken[] = [];
  // Words with their leading whitespace, then long words cut into pieces, as BPE does.
  for (const word of text.match(/\s*\S+|\s+$/g) ?? []) {
    let rest = word;
    while (rest.length > 0) {
      const size = rest.length <= 12 ? rest.length : randomInt(random, 3, 8);
      tokens.push({ text: rest.slice(0, size), delayMs: delay(random) });
      rest = rest.slice(size);
    }
  }
  return tokens;
}

function delay(random: DemoRandom): number {
  const r = random();
  if (r < 0.03) return randomInt(random, 250, 700); // a pause, as the model "thinks"
  return randomInt(random, 12, 70);
}
