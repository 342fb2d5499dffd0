import type { Frame } from './helpers';

/** What a chat UI holds per message: its text so far (chunks 0..lastChunkId) and chunks that arrived early. */
export interface Assembled {
  text: string;
  lastChunkId: number;
  pending: Map<number, string>;
  reason?: string;
  persisted?: boolean;
}

/**
 * A minimal client-side assembler (ARCHITECTURE, "Chat events on a channel topic"): deltas
 * are placed by chunkId and applied in order once any gap fills; a snapshot replaces the
 * text and covers every delta up to its `lastChunkId`.
 */
export class ChatAssembler {
  readonly messages = new Map<string, Assembled>();
  lastId: string | undefined;

  apply(f: Frame): void {
    if (f.op !== 'ev') return;
    this.lastId = f.id as string;
    const data = f.data as {
      messageId: string;
      chunkId?: number;
      text?: string;
      lastChunkId?: number;
      reason?: string;
      persisted?: boolean;
      status?: string;
    };
    const m: Assembled = this.messages.get(data.messageId) ?? {
      text: '',
      lastChunkId: -1,
      pending: new Map(),
    };
    this.messages.set(data.messageId, m);
    switch (f.event) {
      case 'msg.snapshot':
        m.text = data.text!;
        m.lastChunkId = data.lastChunkId!;
        for (const id of [...m.pending.keys()]) if (id <= m.lastChunkId) m.pending.delete(id);
        if (data.status === 'ended') m.reason = data.reason;
        break;
      case 'msg.delta':
        if (data.chunkId! > m.lastChunkId) m.pending.set(data.chunkId!, data.text!);
        break;
      case 'msg.end':
        m.reason = data.reason;
        m.persisted = data.persisted;
        break;
    }
    for (
      let next = m.pending.get(m.lastChunkId + 1);
      next !== undefined;
      next = m.pending.get(m.lastChunkId + 1)
    ) {
      m.pending.delete(m.lastChunkId + 1);
      m.text += next;
      m.lastChunkId++;
    }
  }

  texts(): Record<string, string> {
    return Object.fromEntries([...this.messages].map(([id, m]) => [id, m.text]));
  }

  clone(): ChatAssembler {
    const c = new ChatAssembler();
    c.lastId = this.lastId;
    for (const [id, m] of this.messages) c.messages.set(id, { ...m, pending: new Map(m.pending) });
    return c;
  }
}
