import { useId } from 'react';

export interface LineChartProps {
  /** Values in time order, oldest first; one point per sample. */
  values: number[];
  /** How many samples the full width stands for, so a young series starts on the right. */
  capacity: number;
  /** Accessible name, e.g. "Events per second, last 5 minutes". */
  label: string;
  /** Formats the y-axis values, the peak and the current value. */
  format?: (value: number) => string;
  height?: number;
}

const WIDTH = 600;
/** Room above the top grid line and below the zero line, so the line is never clipped. */
const PAD = 4;
/** The y-axis ticks, as fractions of the axis maximum. */
const TICKS = [1, 0.75, 0.5, 0.25, 0];

/**
 * A dependency-free SVG line chart: the newest sample sits on the right edge, the y axis
 * scales to a round number above the largest visible value and shows its values, and the
 * caption gives the peak of the visible samples (not the axis maximum).
 *
 * @example <LineChart values={[1, 4, 2]} capacity={300} label="Events per second" />
 */
export function LineChart({ values, capacity, label, format = String, height = 160 }: LineChartProps) {
  const gradientId = useId();
  const peak = Math.max(0, ...values);
  const max = niceMax(peak);
  const step = WIDTH / Math.max(1, capacity - 1);
  const offset = Math.max(0, capacity - values.length);
  const y = (v: number) => PAD + (1 - v / max) * (height - 2 * PAD);
  const points = values.map((v, i) => `${((offset + i) * step).toFixed(1)},${y(v).toFixed(1)}`);
  const last = values[values.length - 1];
  const firstX = points.length > 0 ? (offset * step).toFixed(1) : '0';
  const description =
    last === undefined
      ? `${label}: no data yet`
      : `${label}: now ${format(last)}, peak ${format(peak)}, axis up to ${format(max)}`;

  return (
    <figure className="chart">
      <div className="chart-plot">
        <div className="chart-y" aria-hidden="true" data-testid="chart-y-axis">
          {TICKS.map((f) => (
            <span key={f} className="chart-y-tick" style={{ top: `${(y(f * max) / height) * 100}%` }}>
              {format(f * max)}
            </span>
          ))}
        </div>
        <svg
          viewBox={`0 0 ${WIDTH} ${height}`}
          preserveAspectRatio="none"
          role="img"
          aria-label={description}
          className="chart-svg"
        >
          <defs>
            <linearGradient id={gradientId} x1="0" x2="0" y1="0" y2="1">
              <stop offset="0%" stopColor="var(--accent)" stopOpacity="0.25" />
              <stop offset="100%" stopColor="var(--accent)" stopOpacity="0" />
            </linearGradient>
          </defs>
          {TICKS.map((f) => (
            <line key={f} x1="0" x2={WIDTH} y1={y(f * max)} y2={y(f * max)} className="chart-grid" />
          ))}
          {points.length > 1 && (
            <>
              <polygon
                points={`${firstX},${y(0)} ${points.join(' ')} ${WIDTH},${y(0)}`}
                fill={`url(#${gradientId})`}
              />
              <polyline points={points.join(' ')} className="chart-line" fill="none" />
            </>
          )}
        </svg>
      </div>
      <figcaption className="chart-axis">
        <span data-testid="chart-peak">{last === undefined ? 'no data yet' : `peak ${format(peak)}`}</span>
        <span>now</span>
      </figcaption>
    </figure>
  );
}

/** Rounds the axis maximum up to 1, 2 or 5 × 10ⁿ so the scale does not jitter every second. */
function niceMax(value: number): number {
  if (value <= 1) return 1;
  const pow = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 5, 10]) if (value <= m * pow) return m * pow;
  return 10 * pow;
}
