import { createSseParserStream } from '@spool/core';
import type { ReplyModel } from './reply-model';

export interface OpenAiCompatibleOptions {
  /** The endpoint, e.g. `https://api.openai.com/v1/chat/completions` or a local server's. */
  url: string;
  /** The model name the endpoint expects. */
  model: string;
  /** Sent as `Authorization: Bearer <apiKey>` when set. */
  apiKey?: string;
  /** @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
}

/**
 * A {@link ReplyModel} on any endpoint that speaks the OpenAI chat-completions streaming
 * format (`stream: true`: server-sent events whose `data` is a JSON chunk with
 * `choices[0].delta.content`, ended by `data: [DONE]`). The signal aborts the request.
 *
 * @example
 * const model = openAiCompatibleModel({ url: 'http://127.0.0.1:11434/v1/chat/completions', model: 'llama3' });
 */
export function openAiCompatibleModel(options: OpenAiCompatibleOptions): ReplyModel {
  const fetchFn = options.fetch ?? globalThis.fetch;
  return async function* (conversation, signal) {
    const res = await fetchFn(options.url, {
      method: 'POST',
      signal,
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
      },
      body: JSON.stringify({
        model: options.model,
        stream: true,
        messages: conversation.map((t) => ({ role: t.role, content: t.text })),
      }),
    });
    if (!res.ok || !res.body) throw new Error(`${options.url} answered ${res.status}: ${await res.text()}`);
    for await (const ev of res.body.pipeThrough(createSseParserStream())) {
      if (ev.data === '[DONE]') return;
      const chunk = JSON.parse(ev.data) as { choices?: Array<{ delta?: { content?: string | null } }> };
      const content = chunk.choices?.[0]?.delta?.content;
      if (content) yield content;
    }
  };
}
