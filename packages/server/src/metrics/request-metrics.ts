import { SpoolError } from '@spool/core';

/**
 * What the HTTP dispatcher and `GET /metrics` need of a metrics implementation: request
 * durations in, Prometheus text out. The prom-client one (`installMetrics` of
 * `@spool/server/node`) needs Node, so the runtime-agnostic server holds only this slot.
 */
export interface RequestMetrics {
  /** Records one request's duration, labelled by its route pattern. */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** The `Content-Type` of {@link RequestMetrics.text}. */
  readonly contentType: string;
  /** The exposition text. */
  text(): Promise<string>;
}

/**
 * A Spool's metrics slot: empty until metrics are installed, then delegating to them. Until
 * then requests are not timed and `GET /metrics` answers 404 `NOT_FOUND` saying how to
 * install them (docs/http-api.md, "Operators").
 */
export class MetricsSlot implements RequestMetrics {
  private installed: RequestMetrics | undefined;

  /** The installed metrics, if any. */
  get current(): RequestMetrics | undefined {
    return this.installed;
  }

  /** Installs `metrics`; a slot takes one implementation for its Spool's lifetime. */
  install(metrics: RequestMetrics): void {
    if (this.installed !== undefined && this.installed !== metrics) {
      throw new SpoolError('INVALID_OPTION', 'Metrics are already installed on this Spool.');
    }
    this.installed = metrics;
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.installed?.observeRequest(method, route, status, seconds);
  }

  get contentType(): string {
    return this.installed?.contentType ?? 'text/plain; version=0.0.4; charset=utf-8';
  }

  text(): Promise<string> {
    if (this.installed === undefined) {
      return Promise.reject(
        new SpoolError(
          'NOT_FOUND',
          'No metrics on this Spool: `installMetrics(spool)` of @spool/server/node installs them (attach, listen and `spool serve` do).',
        ),
      );
    }
    return this.installed.text();
  }
}
