import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import type { Clock } from '../../core/ports';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** A 1-minute usage datapoint older than this means no query was active since (the metric is sparse). */
const ACTIVE_WINDOW_MS = 5 * 60_000;

export interface UsageReading {
  /** Active DML queries in the account (latest 1-minute maximum; 0 when none was reported lately). */
  readonly accountActiveQueries: number;
  /** Per class: bytes its workgroup scanned in the last hour and the last 24 hours. */
  readonly processedBytes: Record<string, { lastHour: number; lastDay: number }>;
}

/**
 * Reads the load the quota monitor compares with its limits, in one GetMetricData call:
 * `AWS/Usage ResourceCount` (Service Athena, Resource ActiveQueryCount, Type Resource, Class DML,
 * Maximum per minute) and `AWS/Athena ProcessedBytes` (Sum per 5 minutes) of each class's workgroup.
 */
export class CloudWatchUsage {
  constructor(
    private readonly client: CloudWatchClient,
    private readonly clock: Clock = () => new Date(),
  ) {}

  /** `workgroups` maps class name to its Athena workgroup name. */
  async read(workgroups: Readonly<Record<string, string>>): Promise<UsageReading> {
    const now = this.clock();
    const classes = Object.keys(workgroups);
    const queries: MetricDataQuery[] = [
      {
        Id: 'active',
        MetricStat: {
          Metric: {
            Namespace: 'AWS/Usage',
            MetricName: 'ResourceCount',
            Dimensions: [
              { Name: 'Service', Value: 'Athena' },
              { Name: 'Resource', Value: 'ActiveQueryCount' },
              { Name: 'Type', Value: 'Resource' },
              { Name: 'Class', Value: 'DML' },
            ],
          },
          Period: 60,
          Stat: 'Maximum',
        },
      },
      ...classes.map(
        (name, i): MetricDataQuery => ({
          Id: `bytes${i}`,
          MetricStat: {
            Metric: {
              Namespace: 'AWS/Athena',
              MetricName: 'ProcessedBytes',
              Dimensions: [{ Name: 'WorkGroup', Value: workgroups[name] }],
            },
            Period: 300,
            Stat: 'Sum',
          },
        }),
      ),
    ];
    const series = new Map<string, { t: number; v: number }[]>();
    let NextToken: string | undefined;
    do {
      const out = await this.client.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries,
          StartTime: new Date(now.getTime() - DAY),
          EndTime: now,
          ScanBy: 'TimestampDescending',
          NextToken,
        }),
      );
      for (const result of out.MetricDataResults ?? []) {
        const points = series.get(result.Id ?? '') ?? [];
        (result.Timestamps ?? []).forEach((t, n) => {
          points.push({ t: new Date(t).getTime(), v: result.Values?.[n] ?? 0 });
        });
        series.set(result.Id ?? '', points);
      }
      NextToken = out.NextToken;
    } while (NextToken);

    const recent = (series.get('active') ?? []).filter((p) => now.getTime() - p.t <= ACTIVE_WINDOW_MS);
    const latest = recent.sort((a, b) => b.t - a.t)[0];
    const processedBytes: Record<string, { lastHour: number; lastDay: number }> = {};
    classes.forEach((name, i) => {
      const points = series.get(`bytes${i}`) ?? [];
      processedBytes[name] = {
        lastHour: sum(points.filter((p) => now.getTime() - p.t < HOUR)),
        lastDay: sum(points),
      };
    });
    return { accountActiveQueries: latest?.v ?? 0, processedBytes };
  }
}

function sum(points: readonly { v: number }[]): number {
  return points.reduce((total, p) => total + p.v, 0);
}
