import { type CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { SeedMetric, SeedMetricsReader } from './smoke';

const MINUTE = 60_000;
const floorToMinute = (date: Date) => new Date(Math.floor(date.getTime() / MINUTE) * MINUTE);

/**
 * The local runtime's counters, read from its console (`GET /console/api/metrics`): per-minute sums,
 * summed from the minute of `since` on.
 */
export function consoleMetrics(baseUrl: string, fetchImpl: typeof fetch = fetch): SeedMetricsReader {
  const url = `${baseUrl.replace(/\/+$/, '')}/console/api/metrics`;
  return {
    source: `${url}`,
    async sumSince(metric: SeedMetric, since: Date) {
      const minutes = Math.max(1, Math.ceil((Date.now() - floorToMinute(since).getTime()) / MINUTE) + 1);
      const answer = await fetchImpl(`${url}?minutes=${Math.min(minutes, 1440)}`);
      if (!answer.ok) throw new Error(`${url} answered HTTP ${answer.status}; is this the local runtime?`);
      const body = (await answer.json()) as {
        metrics: { name: string; points: { minute: string; value: number }[] }[];
      };
      const points = body.metrics.find((m) => m.name === metric)?.points ?? [];
      const from = floorToMinute(since).getTime();
      return points.filter((p) => Date.parse(p.minute) >= from).reduce((sum, p) => sum + p.value, 0);
    },
  };
}

/**
 * The deployed stack's metrics in CloudWatch: GetMetricData of a SEARCH over the namespace, summed, so
 * that the metric filters' metrics (no dimensions) and the functions' (per class) are read alike.
 */
export function cloudWatchMetrics(
  namespace: string,
  client: Pick<CloudWatchClient, 'send'>,
): SeedMetricsReader {
  return {
    source: `CloudWatch namespace ${namespace}`,
    async sumSince(metric: SeedMetric, since: Date) {
      const answer = await client.send(
        new GetMetricDataCommand({
          StartTime: floorToMinute(since),
          EndTime: new Date(Date.now() + MINUTE),
          MetricDataQueries: [
            {
              Id: 'm',
              Expression: `SUM(SEARCH('Namespace="${namespace}" MetricName="${metric}"', 'Sum', 60))`,
            },
          ],
        }),
      );
      return (answer.MetricDataResults?.[0]?.Values ?? []).reduce((sum, v) => sum + v, 0);
    },
  };
}
