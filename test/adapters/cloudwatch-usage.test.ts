import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { CloudWatchUsage } from '../../functions/adapters/aws/cloudwatch-usage';

const cloudwatch = mockClient(CloudWatchClient);
const NOW = new Date('2026-01-01T12:00:00.000Z');
const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);

beforeEach(() => cloudwatch.reset());

describe('CloudWatchUsage', () => {
  it('reads account DML load and each workgroup’s bytes for the last hour and day in one call', async () => {
    // Prepare
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'active', Timestamps: [ago(1), ago(2)], Values: [14, 9] },
        { Id: 'bytes0', Timestamps: [ago(10), ago(50), ago(120)], Values: [100, 200, 4000] },
        { Id: 'bytes1', Timestamps: [], Values: [] },
      ],
    });
    // Act
    const reading = await new CloudWatchUsage(new CloudWatchClient({}), () => NOW).read({
      predictable: 'wlm-predictable',
      long: 'wlm-long',
    });
    // Assess
    expect(reading).toEqual({
      accountActiveQueries: 14,
      processedBytes: { predictable: { lastHour: 300, lastDay: 4300 }, long: { lastHour: 0, lastDay: 0 } },
    });
    const input = cloudwatch.commandCalls(GetMetricDataCommand)[0].args[0].input as GetMetricDataCommandInput;
    expect(input.MetricDataQueries?.[0].MetricStat).toEqual({
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
    });
    expect(input.MetricDataQueries?.[1].MetricStat).toMatchObject({
      Metric: {
        Namespace: 'AWS/Athena',
        MetricName: 'ProcessedBytes',
        Dimensions: [{ Name: 'WorkGroup', Value: 'wlm-predictable' }],
      },
      Stat: 'Sum',
    });
  });

  it('counts no active queries when the sparse usage metric has nothing recent', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'active', Timestamps: [ago(30)], Values: [12] }],
    });
    const reading = await new CloudWatchUsage(new CloudWatchClient({}), () => NOW).read({});
    expect(reading.accountActiveQueries).toBe(0);
  });
});
