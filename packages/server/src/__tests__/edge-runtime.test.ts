/**
 * The main entry on a runtime without Node: `@spool/server` bundled by esbuild for
 * `platform: 'neutral'` (every import inlined, nothing left for a Node resolver) and
 * evaluated in an Edge VM (`@edge-runtime/vm`: a V8 context with the WHATWG globals and no
 * Node built-ins, no `require`, no `process`, no `Buffer`), where `spool.fetch` answers
 * the probe, a publish and its history read, and an SSE stream (docs/architecture.md,
 * "The package and entry graph").
 */
import { fileURLToPath } from 'node:url';
import { EdgeVM } from '@edge-runtime/vm';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../index.ts', import.meta.url));
let vm: EdgeVM;

beforeAll(async () => {
  const bundle = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'neutral',
    format: 'iife',
    globalName: 'SpoolServer',
    conditions: ['@spool/source'],
    mainFields: ['module', 'main'],
    logLevel: 'silent',
  });
  vm = new EdgeVM();
  vm.evaluate(bundle.outputFiles[0]!.text);
}, 60_000);

/** Runs `body` (an async function body, `S` being the bundle's exports) in the VM; returns its JSON. */
async function inVm<T>(body: string): Promise<T> {
  const json = await vm.evaluate<Promise<string>>(
    `(async (S) => JSON.stringify(await (async () => { ${body} })()))(SpoolServer)`,
  );
  return JSON.parse(json) as T;
}

describe('@spool/server in an Edge VM (no Node built-ins)', () => {
  it('has no Node globals to lean on', async () => {
    expect(
      await inVm(
        `return [typeof process, typeof Buffer, typeof require, typeof setImmediate, typeof S.createSpool];`,
      ),
    ).toEqual(['undefined', 'undefined', 'undefined', 'undefined', 'function']);
  });

  it('answers /healthz through spool.fetch', async () => {
    const out = await inVm<[number, unknown]>(`
      const spool = S.createSpool();
      const res = await spool.fetch(new Request('http://localhost/healthz'));
      const body = await res.json();
      await spool.close();
      return [res.status, body];`);
    expect(out).toEqual([200, { ok: true }]);
  });

  it('publishes with a token and reads the event back from the topic history', async () => {
    const out = await inVm<{ status: number; id: string; history: unknown; stats: unknown }>(`
      const spool = S.createSpool({ auth: { tokens: { admin: ['edge-admin-token-1'] } } });
      const auth = { authorization: 'Bearer edge-admin-token-1' };
      const published = await spool.fetch(new Request('http://localhost/v1/topics/edge/events', {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ data: { n: 1 }, event: 'note' }),
      }));
      const { id } = await published.json();
      const history = await (await spool.fetch(
        new Request('http://localhost/v1/topics/edge/history?after=0-0', { headers: auth }),
      )).json();
      const refused = await spool.fetch(new Request('http://localhost/v1/topics/edge/history?after=0-0'));
      const stats = await spool.stats();
      await spool.close();
      return { status: published.status, id, history, refused: refused.status,
        stats: { connections: stats.connections, published: stats.events.published } };`);
    expect(out.status).toBe(201);
    expect(out.history).toEqual([{ id: out.id, event: 'note', data: { n: 1 } }]);
    expect(out).toMatchObject({ refused: 401 });
    // No WebSocket transport outside Node: it counts zero, the shape stays.
    expect(out.stats).toEqual({ connections: { total: 0, ws: 0, sse: 0, lagging: 0 }, published: 1 });
  });

  it('streams a published event over SSE, and ends the stream on close', async () => {
    const out = await inVm<{ status: number; type: string | null; text: string; ended: boolean }>(`
      const spool = S.createSpool();
      const res = await spool.fetch(new Request('http://localhost/v1/topics/live/events'));
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let text = '';
      const readUntil = async (needle) => {
        while (!text.includes(needle)) {
          const { done, value } = await reader.read();
          if (done) return true;
          text += decoder.decode(value, { stream: true });
        }
        return false;
      };
      const id = await spool.publish('live', { hello: 'edge' });
      await readUntil('"hello"');
      const closing = spool.close();
      let ended = false;
      for (;;) {
        const { done } = await reader.read();
        if (done) { ended = true; break; }
      }
      await closing;
      return { status: res.status, type: res.headers.get('content-type'), text, id, ended };`);
    expect(out.status).toBe(200);
    expect(out.type).toMatch(/^text\/event-stream/);
    expect(out.text).toContain(`id: ${(out as unknown as { id: string }).id}\ndata: {"hello":"edge"}\n\n`);
    expect(out.ended).toBe(true);
  });
});
