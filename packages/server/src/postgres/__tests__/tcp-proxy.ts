import { createConnection, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy a test puts in front of PostgreSQL, to cut or stall the network without
 * touching the shared server. `cut()` drops every connection and refuses new ones;
 * `stall()` holds every byte in both directions (a network gone silent); `restore()`
 * brings the link back (releasing held bytes).
 */
export interface TcpProxy {
  port: number;
  cut(): void;
  stall(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  let mode: 'pass' | 'cut' | 'stall' = 'pass';
  const pairs = new Set<{ a: Socket; b: Socket; held: Array<[Socket, Buffer]> }>();
  const server = createServer((a) => {
    if (mode === 'cut') {
      a.destroy();
      return;
    }
    const b = createConnection(targetPort, targetHost);
    const pair = { a, b, held: [] as Array<[Socket, Buffer]> };
    pairs.add(pair);
    const forward = (to: Socket) => (data: Buffer) => {
      if (mode === 'stall') pair.held.push([to, data]);
      else to.write(data);
    };
    a.on('data', forward(b));
    b.on('data', forward(a));
    const end = () => {
      pairs.delete(pair);
      a.destroy();
      b.destroy();
    };
    a.on('close', end);
    b.on('close', end);
    a.on('error', end);
    b.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: TcpProxy = {
    port: (server.address() as { port: number }).port,
    cut() {
      mode = 'cut';
      for (const p of pairs) {
        p.a.destroy();
        p.b.destroy();
      }
      pairs.clear();
    },
    stall() {
      mode = 'stall';
    },
    restore() {
      mode = 'pass';
      for (const p of pairs) for (const [to, data] of p.held.splice(0)) to.write(data);
    },
    async close() {
      proxy.cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
