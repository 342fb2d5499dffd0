import type { SendRequest } from './message-writer';
import type { SpoolEvent } from './spool-event';

/**
 * The link between {@link SpoolClient} and the writers of `@spool/client/producer`: a
 * symbol-keyed method, so the producer entry reaches the client's request path and assembly without
 * them being public API, and a subscriber-only bundle carries no writer code.
 */
export const producerLink: unique symbol = Symbol('spool.producerLink');

/** What a writer gets from its client. */
export interface ProducerLink {
  /** Sends a writer's frame, outside `offlineQueueMax` (the writer bounds its own requests). */
  request: SendRequest;
  /** Applies an event to the client's own assembly (`message(id)`), for `showOwnWrites`. */
  apply(ev: SpoolEvent): void;
  /** Registers the writer, so a new connection opens its message again. */
  add(writer: Reopenable): void;
}

/** What the client needs of a writer across reconnects. */
export interface Reopenable {
  /** False once the message ended or failed: the client forgets the writer. */
  readonly live: boolean;
  /** Opens the message again on a new connection; false when there is nothing to reopen. */
  reopen(): boolean;
}
