import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatRate } from './format';
import { Gauge, gaugeLevel } from './Gauge';
import { LineChart } from './LineChart';

describe('Gauge', () => {
  it('turns warning at 70% and critical at 90%', () => {
    expect(gaugeLevel(69, 100)).toBe('ok');
    expect(gaugeLevel(70, 100)).toBe('warning');
    expect(gaugeLevel(89.9, 100)).toBe('warning');
    expect(gaugeLevel(90, 100)).toBe('critical');
    expect(gaugeLevel(5, 0)).toBe('ok');
  });

  it('is an ARIA meter with its value, bounds and a readable value text', () => {
    render(<Gauge label="Streams" value={9500} max={10000} format={(n) => String(n)} testId="g" />);
    const meter = screen.getByRole('meter', { name: 'Streams' });
    expect(meter.getAttribute('aria-valuenow')).toBe('9500');
    expect(meter.getAttribute('aria-valuemin')).toBe('0');
    expect(meter.getAttribute('aria-valuemax')).toBe('10000');
    expect(meter.getAttribute('aria-valuetext')).toBe('9500 of 10000 (95%) — critical');
    expect(screen.getByTestId('g')).toBe(meter);
  });
});

describe('LineChart', () => {
  it('draws one point per sample, the newest on the right edge', () => {
    const { container } = render(<LineChart values={[1, 3, 2]} capacity={5} label="Rate" />);
    const points = container.querySelector('polyline')?.getAttribute('points')?.split(' ');
    expect(points).toHaveLength(3);
    expect(points?.at(-1)?.startsWith('600.0,')).toBe(true);
    // The peak is the largest sample (3); the axis runs to the next round number (5).
    expect(screen.getByRole('img', { name: 'Rate: now 2, peak 3, axis up to 5' })).toBeTruthy();
    expect(screen.getByTestId('chart-peak').textContent).toBe('peak 3');
  });

  it('labels the y axis with values from zero to its maximum, on the grid lines', () => {
    const { container } = render(
      <LineChart values={[120, 340, 80]} capacity={10} label="Rate" format={(n) => `${n}/s`} />,
    );
    const ticks = [...screen.getByTestId('chart-y-axis').querySelectorAll('span')];
    expect(ticks.map((t) => t.textContent)).toEqual(['500/s', '375/s', '250/s', '125/s', '0/s']);
    const grid = [...container.querySelectorAll('line.chart-grid')].map((l) => Number(l.getAttribute('y1')));
    // Each label sits at the height of its grid line (top as a share of the 160-unit-high plot).
    expect(ticks.map((t) => Number.parseFloat(t.style.top))).toEqual(grid.map((g) => (g / 160) * 100));
    // The largest sample, 340, is drawn at 340/500 of the height above the zero line.
    const ys = container
      .querySelector('polyline')!
      .getAttribute('points')!
      .split(' ')
      .map((p) => Number(p.split(',')[1]));
    const zero = grid.at(-1)!;
    const top = grid[0]!;
    expect((zero - ys[1]!) / (zero - top)).toBeCloseTo(340 / 500, 2);
  });

  it('says when there is no data yet', () => {
    const { container } = render(<LineChart values={[]} capacity={5} label="Rate" />);
    expect(container.querySelector('polyline')).toBeNull();
    expect(screen.getByRole('img', { name: 'Rate: no data yet' })).toBeTruthy();
  });
});

describe('format', () => {
  it('formats bytes, durations and rates', () => {
    expect([formatBytes(0), formatBytes(1536), formatBytes(100 * 2 ** 20)]).toEqual([
      '0 B',
      '1.5 KiB',
      '100 MiB',
    ]);
    expect([
      formatDuration(950),
      formatDuration(61_000),
      formatDuration(3_600_000),
      formatDuration(90_000_000),
    ]).toEqual(['950 ms', '1m 1s', '1h 0m', '1d 1h']);
    expect([formatRate(12.345), formatRate(1234.5)]).toEqual(['12.3', '1,235']);
  });
});
