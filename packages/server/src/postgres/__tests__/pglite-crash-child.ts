/**
 * Child process of pglite-store.test.ts: opens the PGlite store on DATA_DIR, saves the
 * message given as JSON in MESSAGE (its completion goes to the outbox in the same
 * transaction), prints "saved", and waits to be killed: no close, no relay.
 */
import type { StoredMessageInput } from '@spool/core';
import { openPgliteStore } from '../pglite-store';

const store = await openPgliteStore({ dataDir: process.env['DATA_DIR']! });
await store.save(JSON.parse(process.env['MESSAGE']!) as StoredMessageInput);
console.log('saved');
setInterval(() => undefined, 60_000);
