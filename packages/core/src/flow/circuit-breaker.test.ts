import { describe, expect, it } from 'vitest';
import { SpoolError } from '../errors';
import { createManualClock } from '../time/clock';
import { CircuitBreaker, type CircuitStateChange } from './circuit-breaker';

const fail = () => Promise.reject(new Error('dependency down'));
const ok = () => Promise.resolve('ok');

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return err instanceof SpoolError ? err.code : 'not-a-spool-error';
  }
}

function setup(options = {}) {
  const clock = createManualClock(1_000);
  const breaker = new CircuitBreaker({
    name: 'store',
    failureThreshold: 3,
    cooldownMs: 5_000,
    clock,
    ...options,
  });
  const changes: CircuitStateChange[] = [];
  breaker.onStateChange((c) => changes.push(c));
  return { clock, breaker, changes };
}

describe('CircuitBreaker', () => {
  it('opens after failureThreshold consecutive failures and then rejects with CIRCUIT_OPEN without calling fn', async () => {
    const { breaker, changes } = setup();
    for (let i = 0; i < 3; i++) expect(await codeOf(breaker.execute(fail))).toBe('not-a-spool-error');
    expect(breaker.state).toBe('open');
    expect(changes).toEqual([{ name: 'store', from: 'closed', to: 'open', at: 1_000 }]);
    let called = false;
    try {
      await breaker.execute(() => {
        called = true;
        return 1;
      });
      expect.unreachable();
    } catch (err) {
      expect((err as SpoolError).code).toBe('CIRCUIT_OPEN');
      expect((err as SpoolError).details).toMatchObject({
        name: 'store',
        state: 'open',
        retryAfterMs: 5_000,
      });
    }
    expect(called).toBe(false);
  });

  it('counts only consecutive failures: a success in between resets the count', async () => {
    const { breaker } = setup();
    await codeOf(breaker.execute(fail));
    await codeOf(breaker.execute(fail));
    await breaker.execute(ok);
    await codeOf(breaker.execute(fail));
    await codeOf(breaker.execute(fail));
    expect(breaker.state).toBe('closed');
    expect(breaker.stats().consecutiveFailures).toBe(2);
  });

  it('goes half-open after the cool-down and closes on a successful trial', async () => {
    const { breaker, clock, changes } = setup();
    for (let i = 0; i < 3; i++) await codeOf(breaker.execute(fail));
    clock.advance(4_999);
    expect(breaker.state).toBe('open');
    clock.advance(1);
    expect(breaker.state).toBe('half-open');
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
    expect(changes.map((c) => c.to)).toEqual(['open', 'half-open', 'closed']);
  });

  it('reopens when the trial fails, with a fresh cool-down', async () => {
    const { breaker, clock } = setup();
    for (let i = 0; i < 3; i++) await codeOf(breaker.execute(fail));
    clock.advance(5_000);
    await codeOf(breaker.execute(fail));
    expect(breaker.state).toBe('open');
    expect(breaker.stats().nextAttemptAt).toBe(clock.now() + 5_000);
  });

  it('lets only halfOpenMaxCalls trials through at once', async () => {
    const { breaker, clock } = setup({ halfOpenMaxCalls: 1 });
    for (let i = 0; i < 3; i++) await codeOf(breaker.execute(fail));
    clock.advance(5_000);
    let release!: () => void;
    const trial = breaker.execute(() => new Promise<void>((r) => (release = r)));
    expect(await codeOf(breaker.execute(ok))).toBe('CIRCUIT_OPEN');
    release();
    await trial;
    expect(breaker.state).toBe('closed');
  });

  it('needs successThreshold trial successes to close', async () => {
    const { breaker, clock } = setup({ successThreshold: 2, halfOpenMaxCalls: 2 });
    for (let i = 0; i < 3; i++) await codeOf(breaker.execute(fail));
    clock.advance(5_000);
    await breaker.execute(ok);
    expect(breaker.state).toBe('half-open');
    await breaker.execute(ok);
    expect(breaker.state).toBe('closed');
  });

  it('ignores errors that isFailure rejects, but still rethrows them', async () => {
    const { breaker } = setup({
      isFailure: (e: unknown) => !(e instanceof SpoolError && e.code === 'BAD_REQUEST'),
    });
    for (let i = 0; i < 5; i++) {
      expect(await codeOf(breaker.execute(() => Promise.reject(new SpoolError('BAD_REQUEST', 'x'))))).toBe(
        'BAD_REQUEST',
      );
    }
    expect(breaker.state).toBe('closed');
  });

  it('keeps stats and resets on demand', async () => {
    const { breaker, changes } = setup();
    await breaker.execute(ok);
    for (let i = 0; i < 3; i++) await codeOf(breaker.execute(fail));
    await codeOf(breaker.execute(ok));
    expect(breaker.stats()).toMatchObject({
      name: 'store',
      state: 'open',
      calls: 4,
      successes: 1,
      failures: 3,
      rejected: 1,
      lastFailureAt: 1_000,
      nextAttemptAt: 6_000,
    });
    breaker.reset();
    expect(breaker.state).toBe('closed');
    expect(breaker.stats().consecutiveFailures).toBe(0);
    expect(changes.at(-1)?.to).toBe('closed');
  });

  it('stops notifying after unsubscribe, and a throwing listener does not break calls', async () => {
    const { breaker } = setup({ failureThreshold: 1 });
    let seen = 0;
    const off = breaker.onStateChange(() => {
      seen++;
      throw new Error('listener bug');
    });
    off();
    breaker.onStateChange(() => {
      throw new Error('listener bug');
    });
    expect(await codeOf(breaker.execute(fail))).toBe('not-a-spool-error');
    expect(breaker.state).toBe('open');
    expect(seen).toBe(0);
  });

  it.each([{ failureThreshold: 0 }, { cooldownMs: -1 }, { halfOpenMaxCalls: 1.5 }, { name: '' }])(
    'rejects invalid options %o with INVALID_OPTION',
    (options) => {
      try {
        new CircuitBreaker(options);
        expect.unreachable();
      } catch (err) {
        expect((err as SpoolError).code).toBe('INVALID_OPTION');
      }
    },
  );
});
