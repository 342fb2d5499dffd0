import { useId } from 'react';

export interface LineChartProps {
  /** Values in time order, oldest first; one point per sample. */
  values: number[];
  /** How many samples the full width stands for, so a young series starts on the right. */
  capacity: number;
  /** Accessible name, e.g. "Events per second, last 5 minutes". */
  label: string;
  /** Formats the y-axis maximum and the current value. */
  format?: (value: number) => string;
  height?: number;
}

const WIDTH = 600;

/**
 * A dependency-free SVG line chart: the newest sample sits on the right edge and the
 * y axis scales to the largest visible value.
 *
 * @example <LineChart values={[1, 4, 2]} capacity={300} label="Events per second" />
 */
export function LineChart({ values, capacity, label, format = String, height = 160 }: LineChartProps) {
  const gradientId = useId();
  const max = niceMax(Math.max(0, ...values));
  const step = WIDTH / Math.max(1, capacity - 1);
  const offset = Math.max(0, capacity - values.length);
  const points = values.map((v, i) => {
    const x = (offset + i) * step;
    const y = height - (v / max) * (height - 8) - 4;
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  const last = values[values.length - 1];
  const firstX = points.length > 0 ? (offset * step).toFixed(1) : '0';
  const description =
    last === undefined ? `${label}: no data yet` : `${label}: now ${format(last)}, peak ${format(max)}`;

  return (
    <figure className="chart">
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
        {[0.25, 0.5, 0.75].map((f) => (
          <line key={f} x1="0" x2={WIDTH} y1={height * f} y2={height * f} className="chart-grid" />
        ))}
        {points.length > 1 && (
          <>
            <polygon
              points={`${firstX},${height} ${points.join(' ')} ${WIDTH},${height}`}
              fill={`url(#${gradientId})`}
            />
            <polyline points={points.join(' ')} className="chart-line" fill="none" />
          </>
        )}
      </svg>
      <figcaption className="chart-axis">
        <span>peak {format(max)}</span>
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
