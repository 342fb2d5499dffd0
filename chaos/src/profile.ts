/**
 * How hard the scenarios push. The short profile runs inside `pnpm test` (CI); the long
 * one (`SPOOL_CHAOS=long pnpm chaos`) is the acceptance run whose figures go into
 * docs/guarantees.md.
 */
export interface ChaosProfile {
  name: 'short' | 'long';
  /** Chunks of the reply in the cut scenario. */
  cutChunks: number;
  /** Cuts each client must take during that reply, at least. */
  cutsPerClient: number;
  /** Clients of the reconnect storm. */
  stormClients: number;
  /** Events and their size in the catch-up scenario. */
  catchupEvents: number;
  catchupEventBytes: number;
  /** Length of the soak. */
  soakMs: number;
}

const short: ChaosProfile = {
  name: 'short',
  cutChunks: 2000,
  cutsPerClient: 100,
  stormClients: 500,
  catchupEvents: 100_000,
  catchupEventBytes: 2048,
  soakMs: 60_000,
};

const long: ChaosProfile = {
  ...short,
  name: 'long',
  cutChunks: 5000,
  cutsPerClient: 250,
  stormClients: 5000,
  soakMs: 10 * 60_000,
};

export const profile: ChaosProfile = process.env.SPOOL_CHAOS === 'long' ? long : short;
