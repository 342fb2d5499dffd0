import { describe, expect, it } from 'vitest';
import type { BenchOutput } from './bench-output';
import { benchCommand, type MachineInfo } from './machine';
import { type RunContext, renderSection } from './render-section';

const machine: MachineInfo = {
  cores: 2,
  cpuModel: 'Test CPU @ 2.0GHz',
  memoryBytes: 24 * 2 ** 30,
  node: 'v20.20.2',
  platform: 'linux x64',
  loadAverage: 0.54,
};
const ctx: RunContext = {
  command: 'pnpm bench fanout',
  date: new Date('2026-01-02T03:04:05Z'),
  machine,
  quick: false,
};
const output: BenchOutput = {
  tables: [
    {
      title: 'Fan-out, 1 → 1000',
      rows: [
        { name: 'socket.io | room', value: 93_952, unit: 'events/s' },
        {
          name: '  Spool',
          value: 596_783,
          unit: 'events/s',
          peer: 'socket.io',
          ratio: 6.352,
          target: '>= 3x',
        },
      ],
    },
  ],
  charts: [
    { kind: 'bar', id: 'x', title: 'Throughput [events/s]', yLabel: 'e', categories: ['a'], series: [] },
  ],
  notes: ['Redis is shared: the server-side count includes other clients.'],
};

describe('renderSection', () => {
  it('states the command, date, Node version, cores and memory', () => {
    const md = renderSection('fanout', output, ctx, ['benchmarks/fanout.x.svg']);
    expect(md).toContain(
      'Command: `pnpm bench fanout` · 2026-01-02 03:04 UTC · Node v20.20.2 · linux x64 · 2 cores (Test CPU @ 2.0GHz) · 24.0 GiB memory · load average 0.54 at start',
    );
    expect(md).not.toContain('Quick mode');
  });

  it('prints each row with its ratio to the peer, escaping table pipes', () => {
    const md = renderSection('fanout', output, ctx, ['benchmarks/fanout.x.svg']);
    expect(md).toContain('| socket.io \\| room | 93,952 | events/s |  |  |');
    expect(md).toContain('| Spool | 596,783 | events/s | 6.35x socket.io | >= 3x |');
    expect(md).toContain('- Redis is shared: the server-side count includes other clients.');
    expect(md).toContain('![Throughput events/s](benchmarks/fanout.x.svg)');
  });

  it('labels quick-mode figures as provisional', () => {
    const md = renderSection(
      'fanout',
      output,
      { ...ctx, quick: true, command: 'SPOOL_BENCH_QUICK=1 pnpm bench' },
      ['benchmarks/fanout.x.svg'],
    );
    expect(md).toContain('**Quick mode**');
    expect(md).toContain('Provisional figures');
    expect(md).toContain('Command: `SPOOL_BENCH_QUICK=1 pnpm bench`');
  });
});

describe('benchCommand', () => {
  it('reproduces the run: SPOOL_BENCH_* variables, then the names', () => {
    expect(benchCommand([], {})).toBe('pnpm bench');
    expect(
      benchCommand(['fanout', 'size'], {
        SPOOL_BENCH_QUICK: '1',
        SPOOL_BENCH_REDIS_URL: 'redis://127.0.0.1:6390',
        PATH: '/usr/bin',
        SPOOL_BENCH_NOTE: "it's",
      }),
    ).toBe(
      "SPOOL_BENCH_NOTE='it'\\''s' SPOOL_BENCH_QUICK=1 SPOOL_BENCH_REDIS_URL=redis://127.0.0.1:6390 pnpm bench fanout size",
    );
  });
});
