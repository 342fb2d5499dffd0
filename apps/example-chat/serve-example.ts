/**
 * `pnpm example`: the example chat against a real `spool serve`, in one command.
 * - Starts `spool serve` on SPOOL_PORT (default 8080), unless SPOOL_URL names one that runs already.
 * - Starts the producer, with the fake model, or with an OpenAI-compatible endpoint when
 *   EXAMPLE_MODEL_URL is set (EXAMPLE_MODEL_NAME, EXAMPLE_MODEL_KEY).
 * - Serves the built page on EXAMPLE_PORT (default 5180), with `/v1` proxied to the server.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpoolClient } from '@spool/client';
import { preview } from 'vite';
import WebSocket from 'ws';
import { ChatProducer } from './producer/chat-producer';
import { fakeModel } from './producer/fake-model';
import { openAiCompatibleModel } from './producer/openai-compatible-model';
import type { ReplyModel } from './producer/reply-model';

const here = dirname(fileURLToPath(import.meta.url));
const env = process.env;
const pagePort = Number(env.EXAMPLE_PORT ?? 5180);

let spoolServe: ChildProcess | undefined;
let spoolUrl = env.SPOOL_URL;
if (!spoolUrl) {
  const port = Number(env.SPOOL_PORT ?? 8080);
  spoolUrl = `http://127.0.0.1:${port}`;
  // The CLI from source, as `pnpm start` runs it; an app on the published package runs `npx spool serve`.
  const cli = join(
    dirname(createRequire(import.meta.url).resolve('@spool/server/package.json')),
    'src/cli.ts',
  );
  spoolServe = spawn(
    process.execPath,
    ['--import', 'tsx/esm', '--conditions=@spool/source', cli, 'serve', '--port', String(port)],
    { cwd: here, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  // However this process ends, its server goes with it.
  process.once('exit', () => spoolServe?.kill('SIGTERM'));
  spoolServe.once('exit', (code) => {
    console.error(`spool serve exited (${code})`);
    process.exit(1);
  });
  await waitForHealth(spoolUrl);
}

const model: ReplyModel = env.EXAMPLE_MODEL_URL
  ? openAiCompatibleModel({
      url: env.EXAMPLE_MODEL_URL,
      model: env.EXAMPLE_MODEL_NAME ?? 'default',
      apiKey: env.EXAMPLE_MODEL_KEY,
    })
  : fakeModel(env.EXAMPLE_TOKEN_MS ? { tokenDelayMs: Number(env.EXAMPLE_TOKEN_MS) } : {});

const client = new SpoolClient(`${spoolUrl.replace(/^http/, 'ws')}/v1/ws`, { WebSocket });
client.on('error', (err) => console.error(`producer client: ${err.code} ${err.message}`));
const producer = new ChatProducer(client, model);
producer.start();

// vite.config.ts reads SPOOL_URL for its proxy.
env.SPOOL_URL = spoolUrl;
const page = await preview({ root: here, preview: { host: '127.0.0.1', port: pagePort, strictPort: true } });
console.log(`example chat: http://127.0.0.1:${pagePort}/ (spool serve: ${spoolUrl})`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await producer.close();
  client.close();
  await page.close();
  spoolServe?.removeAllListeners('exit');
  spoolServe?.kill('SIGTERM');
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

async function waitForHealth(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`spool serve did not answer on ${url}/healthz within 60 s`);
}
