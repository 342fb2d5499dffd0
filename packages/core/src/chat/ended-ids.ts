import { SpoolError } from '../errors';

/**
 * The IDs of the most recently ended messages, so an ended ID is never opened again
 * (`MESSAGE_ENDED`) even when the store cannot say (it is down, or the message was not
 * persisted). Bounded: past `size` IDs the oldest is forgotten, and then only the store
 * remembers it. Held in memory, so a restart forgets it (docs/architecture.md).
 *
 * @example
 * const ended = new EndedIds(100_000);
 * ended.add('1843563473929170944');
 * ended.has('1843563473929170944'); // true
 */
export class EndedIds {
  private readonly ids = new Set<string>();

  constructor(readonly size: number) {
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new SpoolError(
        'INVALID_OPTION',
        `\`endedIdWindow\` must be a positive integer, got ${String(size)}.`,
      );
    }
  }

  add(messageId: string): void {
    this.ids.add(messageId);
    // A Set iterates in insertion order: the first ID is the oldest.
    if (this.ids.size > this.size) this.ids.delete(this.ids.values().next().value!);
  }

  has(messageId: string): boolean {
    return this.ids.has(messageId);
  }

  get count(): number {
    return this.ids.size;
  }
}
