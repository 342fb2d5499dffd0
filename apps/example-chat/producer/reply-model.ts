/** One turn of a conversation, oldest first, as the model is given it. */
export interface ChatTurn {
  role: 'user' | 'assistant';
  text: string;
}

/**
 * THE one function a model plugs in through: given the conversation so far (its last turn
 * is the user's question), yield the reply's text piece by piece, and stop when `signal`
 * aborts (the Stop button, or the message cancelled from elsewhere). Throwing ends the
 * reply with reason `error`.
 *
 * The example ships two: {@link fakeModel} (deterministic, no network) and
 * `openAiCompatibleModel` (any `/v1/chat/completions` endpoint that streams).
 *
 * @example
 * const echo: ReplyModel = async function* (turns) { yield turns.at(-1)?.text ?? ''; };
 */
export type ReplyModel = (conversation: readonly ChatTurn[], signal: AbortSignal) => AsyncIterable<string>;
