import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SpoolEvent } from '@spool/client';
import { subscribeSse } from '@spool/client/sse';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type ClusterSettings,
  clientOfInstances,
  clientThroughBalancer,
  instanceEnv,
  producerThroughBalancer,
} from './load-balancer';

// The recipe run for real: three `spool serve` processes on the real Redis (a key prefix of
// this run's own) and the real PostgreSQL (a schema of this run's own, dropped after), behind
// a real nginx running code/spool-nginx.conf with only its ports replaced
// (docs/architecture.md, "Behind a load balancer").

const REDIS_URL = process.env.SPOOL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.SPOOL_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(root, 'packages/server/src/cli.ts');
const nginxConf = fileURLToPath(new URL('./spool-nginx.conf', import.meta.url));

/** A cluster of its own for each test: its own Redis key prefix, schema and tokens. */
function clusterSettings(): ClusterSettings {
  return {
    redisUrl: REDIS_URL,
    redisPrefix: `recipes-lb:${randomUUID()}:`,
    databaseUrl: DATABASE_URL,
    databaseSchema: `spool_test_${randomUUID().replaceAll('-', '')}`,
    adminToken: `admin-${randomUUID()}`,
    userTokens: `user-${randomUUID()}`,
  };
}

interface Instance {
  instanceId: string;
  url: string;
  proc: ChildProcess;
}

/** How long a step may take on a loaded machine before the test fails (a wait, not a timing). */
const WAIT = { timeout: 10_000, interval: 50 };
const children = new Set<ChildProcess>();
let cluster: ClusterSettings;
let instances: Instance[] = [];
let balancer = '';
let nginxDir = '';

/** Starts `spool serve` from source (as `pnpm start` does) with the recipe's environment. */
async function startInstance(instanceId: string): Promise<Instance> {
  const env = instanceEnv(cluster, { instanceId, host: '127.0.0.1', port: 0 });
  const proc = spawn(process.execPath, ['--import', 'tsx/esm', '--conditions=@spool/source', cli, 'serve'], {
    cwd: root,
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SPOOL_'))),
      ...env,
      SPOOL_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(proc);
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      try {
        const log = JSON.parse(line) as { url?: unknown };
        if (typeof log.url === 'string') resolve(log.url);
      } catch {
        // not a log line
      }
    });
    proc.once('exit', (code) => reject(new Error(`${instanceId} exited with ${code}: ${stderr}`)));
  });
  return { instanceId, url, proc };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The recipe's nginx config with the test's ports in place of 8080 and 8081..8083. */
function withPorts(conf: string, listen: number, upstreams: number[]): string {
  const replace = (text: string, from: string, to: string) => {
    if (!text.includes(from)) throw new Error(`spool-nginx.conf no longer has ${from}`);
    return text.replace(from, to);
  };
  let out = replace(conf, 'listen 8080;', `listen 127.0.0.1:${listen};`);
  upstreams.forEach((port, i) => {
    out = replace(out, `server 127.0.0.1:${8081 + i} `, `server 127.0.0.1:${port} `);
  });
  return out;
}

/** nginx in the foreground, with its pid, logs and temporary files in `dir`. */
async function startNginx(dir: string, listen: number, upstreams: number[]): Promise<ChildProcess> {
  await writeFile(join(dir, 'spool.conf'), withPorts(await readFile(nginxConf, 'utf8'), listen, upstreams));
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `${kind}_temp_path ${join(dir, kind)};`)
    .join(' ');
  await writeFile(
    join(dir, 'nginx.conf'),
    `daemon off; worker_processes 1; pid ${join(dir, 'nginx.pid')}; error_log ${join(dir, 'error.log')} warn;
events { worker_connections 256; }
http { access_log off; ${temp} include ${join(dir, 'spool.conf')}; }
`,
  );
  const proc = spawn(
    existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx',
    ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  children.add(proc);
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const failed = new Promise<never>((_, reject) => {
    proc.once('error', (err) =>
      reject(new Error(`nginx could not start (scripts/ensure-env.sh installs it): ${err}`)),
    );
    proc.once('exit', (code) => reject(new Error(`nginx exited with ${code}: ${stderr}`)));
  });
  failed.catch(() => {});
  const ready = vi.waitFor(
    async () => {
      const res = await fetch(`http://127.0.0.1:${listen}/readyz`);
      if (res.status !== 200) throw new Error(`readyz ${res.status}`);
    },
    { timeout: 15_000, interval: 100 },
  );
  await Promise.race([ready, failed]);
  return proc;
}

async function stopProcess(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill(signal);
  const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function api(base: string, path: string, token = cluster.adminToken): Promise<Response> {
  return fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
}

/** The open WebSocket connections of each instance, from its own stats. */
async function wsConnections(): Promise<number[]> {
  return Promise.all(
    instances.map(async (i) => {
      const stats = (await (await api(i.url, '/v1/stats')).json()) as { connections: { ws: number } };
      return stats.connections.ws;
    }),
  );
}

/** The index of the instance whose WebSocket count became `before[i] + 1`, once exactly one did. */
async function instanceThatGained(before: number[]): Promise<number> {
  let gained = -1;
  await vi.waitFor(
    async () => {
      const now = await wsConnections();
      const grown = now.flatMap((n, i) => (n === before[i]! + 1 ? [i] : []));
      if (grown.length !== 1) throw new Error(`connections ${before} -> ${now}`);
      gained = grown[0]!;
    },
    { timeout: 10_000, interval: 50 },
  );
  return gained;
}

beforeEach(async () => {
  cluster = clusterSettings();
  nginxDir = await mkdtemp(join(tmpdir(), 'spool-recipe-nginx-'));
  // One at a time: the first creates the schema, and the log says which ID got which port.
  instances = [];
  for (const id of ['spool-1', 'spool-2', 'spool-3']) instances.push(await startInstance(id));
  const ports = instances.map((i) => Number(new URL(i.url).port));
  const listen = await freePort();
  await startNginx(nginxDir, listen, ports);
  balancer = `http://127.0.0.1:${listen}`;
}, 120_000);

afterEach(async () => {
  await Promise.all([...children].map((proc) => stopProcess(proc)));
  children.clear();
  const redis = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${cluster.redisPrefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  await redis.quit();
  const db = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  await db.query(`DROP SCHEMA IF EXISTS "${cluster.databaseSchema}" CASCADE`);
  await db.end();
  if (nginxDir) await rm(nginxDir, { recursive: true, force: true });
}, 60_000);

interface Reader {
  events: SpoolEvent[];
  resets: string[];
  onEvent(ev: SpoolEvent): void;
  onReset(earliest: string): void;
}

/** Collects what a subscription delivers. */
function reader(): Reader {
  const events: SpoolEvent[] = [];
  const resets: string[] = [];
  return { events, resets, onEvent: (ev) => events.push(ev), onReset: (e) => resets.push(e) };
}

type Delta = { messageId: string; chunkId: number; text: string };

/** Every event once and in order: IDs strictly increasing, the message's chunks 0..n in order. */
function expectExact(r: Reader, messageId: string, text: string): void {
  expect(r.resets).toEqual([]);
  const ids = r.events.map((e) => e.id.split('-').map(BigInt) as [bigint, bigint]);
  for (let i = 1; i < ids.length; i++) {
    const [a, b] = [ids[i - 1]!, ids[i]!];
    expect(
      b[0] > a[0] || (b[0] === a[0] && b[1] > a[1]),
      `${r.events[i - 1]!.id} then ${r.events[i]!.id}`,
    ).toBe(true);
  }
  const deltas = r.events
    .filter((e) => e.event === 'msg.delta' && (e.data as Delta).messageId === messageId)
    .map((e) => e.data as Delta);
  expect(deltas.map((d) => d.chunkId)).toEqual(deltas.map((_, i) => i));
  expect(deltas.map((d) => d.text).join('')).toBe(text);
  const ends = r.events.filter((e) => e.event === 'msg.end' && (e.data as Delta).messageId === messageId);
  expect(ends.map((e) => e.data)).toEqual([expect.objectContaining({ messageId, reason: 'success' })]);
  expect(r.events.at(-1)).toBe(ends[0]);
}

describe('three instances behind a load balancer', () => {
  // SIGKILL: the instance dies with its sockets. SIGTERM: it drains (closes its sockets with
  // 1001) and leaves the cluster. Either way the subscriber resumes on another one.
  it.each(['SIGKILL', 'SIGTERM'] as const)(
    "a reply produced through the balancer reaches its subscribers exactly across a %s of the subscriber's instance",
    async (signal) => {
      const room = `lb-${randomUUID().slice(0, 8)}`;
      const topic = `chan:1:${room}`;

      const ws = reader();
      const sse = reader();
      const states: string[] = [];
      const producer = producerThroughBalancer(balancer, cluster.userTokens);
      let subscriber: ReturnType<typeof clientThroughBalancer> | undefined;
      let sseSub: ReturnType<typeof subscribeSse> | undefined;
      let listed: ReturnType<typeof clientOfInstances> | undefined;
      try {
        // Where each landed, from the instances' own counts (the balancer's URL does not say).
        const owner = await instanceThatGained([0, 0, 0]);
        await vi.waitFor(() => expect(producer.state).toBe('open'), WAIT);
        // Round robin puts the next connection elsewhere; the instance stopped below must not be
        // the producer's, whose open message would then end (`force` on SIGTERM, `error` on SIGKILL).
        let watched = owner;
        for (let tries = 0; watched === owner && tries < 5; tries++) {
          if (subscriber) {
            subscriber.close();
            await vi.waitFor(async () => expect((await wsConnections())[owner]).toBe(1), WAIT);
          }
          const before = await wsConnections();
          states.length = 0;
          subscriber = clientThroughBalancer(balancer, cluster.userTokens);
          subscriber.on('state', (s) => states.push(s));
          watched = await instanceThatGained(before);
        }
        expect(watched).not.toBe(owner);
        await vi.waitFor(() => expect(subscriber!.state).toBe('open'), WAIT);
        const wsSub = subscriber!.subscribe(topic, { onEvent: ws.onEvent, onReset: ws.onReset });
        sseSub = subscribeSse(balancer, topic, {
          token: cluster.userTokens,
          onEvent: sse.onEvent,
          onReset: sse.onReset,
        });
        await vi.waitFor(() => expect(sseSub!.state).toBe('open'), WAIT);
        // Both started live: they know their position before the reply opens, so it is all theirs.
        await vi.waitFor(
          () => expect([wsSub.lastEventId, sseSub!.lastEventId]).not.toContain(undefined),
          WAIT,
        );

        const reply = producer.openMessage({ channelId: room, channelType: 1, fromUid: 'assistant' });
        const tokens = Array.from({ length: 300 }, (_, i) => `t${i} `);
        for (const [i, token] of tokens.entries()) {
          await reply.append(token);
          if (i === 100) {
            // Mid-reply, once the subscriber has seen part of it.
            await vi.waitFor(() => expect(ws.events.some((e) => e.event === 'msg.delta')).toBe(true), WAIT);
            await stopProcess(instances[watched]!.proc, signal);
          }
          await new Promise((r) => setTimeout(r, 2));
        }
        await reply.end();
        const messageId = reply.messageId;
        const text = tokens.join('');

        const ended = (r: Reader) => r.events.some((e) => e.event === 'msg.end');
        await vi.waitFor(() => expect(ended(ws) && ended(sse)).toBe(true), { timeout: 20_000 });
        expectExact(ws, messageId, text);
        expectExact(sse, messageId, text);
        // The subscriber's socket went down with its instance, and came back through the balancer.
        expect(states).toContain('reconnecting');
        expect(states.at(-1)).toBe('open');

        // Finished: saved in PostgreSQL, read back through the balancer by whichever instance answers.
        const res = await api(balancer, `/v1/messages/${messageId}`, cluster.userTokens);
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ status: 'ended', reason: 'success', text });
        const db = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
        try {
          const { rows } = await db.query(
            `SELECT text, reason FROM "${cluster.databaseSchema}".messages WHERE message_id = $1`,
            [messageId],
          );
          expect(rows).toEqual([{ text, reason: 'success' }]);
        } finally {
          await db.end();
        }

        // Without a balancer: a client given every instance's URL, the killed one among them,
        // ends on a live one wherever it starts and reads the same events from the shared log.
        const urls = [
          instances[watched]!.url,
          ...instances.filter((_, i) => i !== watched).map((i) => i.url),
        ];
        listed = clientOfInstances(urls, cluster.userTokens);
        const again = reader();
        listed.subscribe(topic, { after: '0-0', onEvent: again.onEvent, onReset: again.onReset });
        await vi.waitFor(() => expect(ended(again)).toBe(true), { timeout: 20_000 });
        expect(listed.url).not.toBe(`${urls[0]!.replace(/^http/, 'ws')}/v1/ws`);
        expect(again.events.map((e) => e.id)).toEqual(ws.events.map((e) => e.id));
      } finally {
        producer.close();
        subscriber?.close();
        sseSub?.unsubscribe();
        listed?.close();
      }
    },
    120_000,
  );
});
