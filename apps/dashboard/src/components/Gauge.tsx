/** Fractions at which a gauge turns to warning and to critical (the 70% and 90%). */
export const gaugeThresholds = { warning: 0.7, critical: 0.9 };

export type GaugeLevel = 'ok' | 'warning' | 'critical';

/**
 * The level of `value` against `max`.
 *
 * @example gaugeLevel(75, 100) // 'warning'
 */
export function gaugeLevel(value: number, max: number): GaugeLevel {
  if (!(max > 0)) return 'ok';
  const f = value / max;
  if (f >= gaugeThresholds.critical) return 'critical';
  if (f >= gaugeThresholds.warning) return 'warning';
  return 'ok';
}

export interface GaugeProps {
  label: string;
  value: number;
  max: number;
  /** Human text for value and max, e.g. bytes. */
  format?: (n: number) => string;
  testId?: string;
}

/**
 * A horizontal gauge exposed as an ARIA meter (`role="meter"`, aria-valuenow/min/max),
 * with warning and critical marks at {@link gaugeThresholds}.
 *
 * @example <Gauge label="Cache memory" value={used} max={limit} format={formatBytes} testId="memory-gauge" />
 */
export function Gauge({ label, value, max, format = String, testId }: GaugeProps) {
  const level = gaugeLevel(value, max);
  const pct = max > 0 ? Math.min(100, (value / max) * 100) : 0;
  const text = `${format(value)} of ${format(max)} (${pct.toFixed(pct < 10 ? 1 : 0)}%)`;
  const levelText = level === 'ok' ? '' : level === 'warning' ? ' — warning' : ' — critical';
  return (
    <div className={`gauge gauge-${level}`}>
      <div className="gauge-head">
        <span className="gauge-label">{label}</span>
        <span className="gauge-value">
          {text}
          {levelText && <strong className="gauge-level">{levelText}</strong>}
        </span>
      </div>
      {/* biome-ignore lint/a11y/useSemanticElements: a native <meter> cannot show the 70%/90% marks
          or be styled alike across browsers; this div carries the same role and values. */}
      <div
        role="meter"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={max}
        aria-valuenow={value}
        aria-valuetext={text + levelText}
        data-level={level}
        data-testid={testId}
        className="gauge-track"
      >
        <div className="gauge-fill" style={{ width: `${pct}%` }} />
        <span
          className="gauge-mark"
          style={{ left: `${gaugeThresholds.warning * 100}%` }}
          aria-hidden="true"
        />
        <span
          className="gauge-mark"
          style={{ left: `${gaugeThresholds.critical * 100}%` }}
          aria-hidden="true"
        />
      </div>
    </div>
  );
}
