// app/v1/[...path]/route.ts
import { createSpool, type Spool } from '@spool/server';

// One Spool per server process, kept across hot reloads in development.
const g = globalThis as typeof globalThis & { spool?: Spool };
g.spool ??= createSpool();
export const spool = g.spool;

// SSE responses stream: never cache or pre-render them.
export const dynamic = 'force-dynamic';

export function GET(request: Request): Promise<Response> {
  return spool.fetch(request);
}
export const POST = GET;
export const PATCH = GET;
export const DELETE = GET;
