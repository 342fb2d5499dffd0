import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openAiCompatibleModel } from './openai-compatible-model';

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A local endpoint that streams `pieces` the way OpenAI's chat completions do, split at odd places. */
async function endpoint(pieces: string[], seen: { body?: unknown; auth?: string }): Promise<string> {
  server = createServer(async (req: IncomingMessage, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    seen.body = JSON.parse(raw);
    seen.auth = req.headers.authorization;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const events = [
      ...pieces.map((content) => `data: ${JSON.stringify({ choices: [{ delta: { content } }] })}\n\n`),
      `data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: 'stop' }] })}\n\n`,
      'data: [DONE]\n\n',
    ].join('');
    // Network splits land anywhere, multibyte characters included.
    const bytes = Buffer.from(events);
    for (let i = 0; i < bytes.length; i += 7) res.write(bytes.subarray(i, i + 7));
    res.end();
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/v1/chat/completions`;
}

describe('openAiCompatibleModel', () => {
  it('yields the streamed content of a chat-completions endpoint and sends the conversation', async () => {
    const seen: { body?: unknown; auth?: string } = {};
    const url = await endpoint(['Bonjour', ', ça ', 'va 🙂', '?'], seen);
    const model = openAiCompatibleModel({ url, model: 'tiny', apiKey: 'k1' });
    const got: string[] = [];
    const turns = [
      { role: 'user' as const, text: 'hi' },
      { role: 'assistant' as const, text: 'hello' },
      { role: 'user' as const, text: 'en français ?' },
    ];
    for await (const t of model(turns, new AbortController().signal)) got.push(t);
    expect(got).toEqual(['Bonjour', ', ça ', 'va 🙂', '?']);
    expect(seen.auth).toBe('Bearer k1');
    expect(seen.body).toEqual({
      model: 'tiny',
      stream: true,
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
        { role: 'user', content: 'en français ?' },
      ],
    });
  });

  it('throws with the status and body when the endpoint refuses', async () => {
    server = createServer((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"error":"bad key"}');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`;
    const run = async () => {
      for await (const _ of openAiCompatibleModel({ url, model: 'm' })([], new AbortController().signal));
    };
    await expect(run()).rejects.toThrow(/answered 401: \{"error":"bad key"\}/);
  });
});
