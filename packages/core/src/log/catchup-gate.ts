/** The two kinds of work a {@link CatchupGate} keeps apart. */
export type CatchupGateKind = 'catchup' | 'persist';

interface Waiter {
  kind: CatchupGateKind;
  grant: () => void;
}

/**
 * Keeps catchup reads and `persistAndClear` apart, as a catchup mutex would
 * ("Race Condition Prevention"): a resume never reads the store before a persist has
 * committed and the log after it has been trimmed. Work of one kind runs concurrently
 * (many resumes at once, or several messages persisting at once); the two kinds take
 * turns in arrival order, so neither starves the other.
 *
 * @example
 * const release = await gate.acquire('catchup');
 * try { await readPage(); } finally { release(); }
 */
export class CatchupGate {
  #active: CatchupGateKind | undefined;
  #holders = 0;
  readonly #queue: Waiter[] = [];

  /** Number of holders now; for tests and stats. */
  get holders(): number {
    return this.#holders;
  }

  /** Waits for a turn of `kind`; resolves to the function that ends it (call it once). */
  acquire(kind: CatchupGateKind): Promise<() => void> {
    // Join the running turn only when nobody of the other kind is waiting (fairness).
    if (this.#active === undefined || (this.#active === kind && this.#queue.length === 0)) {
      this.#active = kind;
      this.#holders++;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve) => {
      this.#queue.push({ kind, grant: () => resolve(this.#releaser()) });
    });
  }

  #releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#holders--;
      if (this.#holders > 0) return;
      this.#active = undefined;
      const next = this.#queue[0];
      if (!next) return;
      // Admit the whole run of waiters of the next kind at once.
      this.#active = next.kind;
      while (this.#queue[0]?.kind === next.kind) {
        const w = this.#queue.shift()!;
        this.#holders++;
        w.grant();
      }
    };
  }
}
