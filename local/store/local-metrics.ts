import type { MetricName } from '../../contracts/metrics';
import type { Clock, Metrics } from '../../functions/core/ports';
import type { Database } from './database';

/** One minute of a metric: the values recorded in it. */
export interface MetricPoint {
  /** Start of the minute, ISO-8601. */
  readonly minute: string;
  readonly sum: number;
  /** How many values were recorded (0 for a minute with none). */
  readonly count: number;
  readonly min?: number;
  readonly max?: number;
}

export interface SeriesOptions {
  /** Only values recorded with exactly these dimensions. @default every value of the metric, whatever its dimensions */
  readonly dimensions?: Readonly<Record<string, string>>;
}

const MINUTE_MS = 60_000;

/**
 * The core `Metrics` port for the local runtime: per-minute aggregates (sum, count, min, max) per metric
 * name and dimension set in SQLite, read back as time series for the console's charts, as CloudWatch
 * would show them at a one-minute period.
 */
export class LocalMetrics implements Metrics {
  private readonly clock: Clock;
  private readonly record;

  constructor(
    private readonly db: Database,
    props: { readonly clock?: Clock } = {},
  ) {
    this.clock = props.clock ?? (() => new Date());
    this.record = db.prepare<[string, string, number, number, number, number]>(
      `INSERT INTO metrics (name, dimensions, minute, sum, count, min, max) VALUES (?, ?, ?, ?, 1, ?, ?)
       ON CONFLICT (name, dimensions, minute) DO UPDATE SET
         sum = sum + excluded.sum, count = count + 1, min = min(min, excluded.min), max = max(max, excluded.max)`,
    );
  }

  count(name: MetricName, value = 1, dimensions: Readonly<Record<string, string>> = {}): void {
    this.put(name, value, dimensions);
  }

  milliseconds(
    name: 'QueueWaitTime',
    value: number,
    dimensions: Readonly<Record<string, string>> = {},
  ): void {
    this.put(name, value, dimensions);
  }

  /** The metric per minute over the last `sinceMinutes` minutes (the current one included), oldest first, minutes without values as zero. */
  series(name: string, sinceMinutes: number, options: SeriesOptions = {}): MetricPoint[] {
    const last = Math.floor(this.clock().getTime() / MINUTE_MS);
    const first = last - Math.max(1, Math.floor(sinceMinutes)) + 1;
    const where = options.dimensions ? 'AND dimensions = ?' : '';
    const args: (string | number)[] = [
      name,
      first,
      last,
      ...(options.dimensions ? [canonical(options.dimensions)] : []),
    ];
    const rows = this.db
      .prepare<(string | number)[], { minute: number; sum: number; count: number; min: number; max: number }>(
        `SELECT minute, sum(sum) AS sum, sum(count) AS count, min(min) AS min, max(max) AS max FROM metrics
         WHERE name = ? AND minute BETWEEN ? AND ? ${where} GROUP BY minute`,
      )
      .all(...args);
    const byMinute = new Map(rows.map((row) => [row.minute, row]));
    const points: MetricPoint[] = [];
    for (let minute = first; minute <= last; minute++) {
      const row = byMinute.get(minute);
      const at = new Date(minute * MINUTE_MS).toISOString();
      points.push(
        row
          ? { minute: at, sum: row.sum, count: row.count, min: row.min, max: row.max }
          : { minute: at, sum: 0, count: 0 },
      );
    }
    return points;
  }

  /** Sum of a metric over the last `sinceMinutes` minutes (every dimension set unless given). */
  total(name: string, sinceMinutes: number, options: SeriesOptions = {}): number {
    return this.series(name, sinceMinutes, options).reduce((sum, point) => sum + point.sum, 0);
  }

  private put(name: string, value: number, dimensions: Readonly<Record<string, string>>): void {
    if (!Number.isFinite(value)) return;
    const minute = Math.floor(this.clock().getTime() / MINUTE_MS);
    this.record.run(name, canonical(dimensions), minute, value, value, value);
  }
}

/** Dimensions as JSON with sorted keys, so the same set is always the same row. */
function canonical(dimensions: Readonly<Record<string, string>>): string {
  return JSON.stringify(
    Object.fromEntries(Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b))),
  );
}
