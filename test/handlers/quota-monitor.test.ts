import './support/aws-env';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../functions/quota-monitor';
import { TEST_ENV } from './support/aws-env';
import { lambdaContext, storedItem } from './support/events';

const ddb = mockClient(DynamoDBDocumentClient);
const cloudwatch = mockClient(CloudWatchClient);
const sns = mockClient(SNSClient);
const serviceQuotas = mockClient(ServiceQuotasClient);

/** Ledger queries answer `items`; the dispatch table holds no slot. */
function ledgerHolds(items: readonly object[]) {
  ddb
    .on(QueryCommand)
    .callsFake((input: QueryCommandInput) =>
      input.TableName === TEST_ENV.DISPATCH_TABLE_NAME ? { Items: [] } : { Items: items },
    );
}

beforeEach(() => {
  ddb.reset();
  cloudwatch.reset();
  sns.reset();
  serviceQuotas.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm1' });
  // The default config reads the account's quota from Service Quotas.
  serviceQuotas.on(GetServiceQuotaCommand).resolves({ Quota: { Value: 20 } });
  ledgerHolds([]);
});

describe('quota-monitor handler', () => {
  it('sends one SNS message for account load near the quota and an exploratory class over its hourly limit', async () => {
    // Prepare: 17 of 20 active (alert at 80%); exploratory limit is 700 GB an hour.
    const now = new Date();
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'active', Timestamps: [new Date(now.getTime() - 60_000)], Values: [17] },
        { Id: 'bytes3', Timestamps: [new Date(now.getTime() - 600_000)], Values: [800_000_000_000] },
      ],
    });
    ledgerHolds([
      storedItem('q1', { className: 'exploratory', userId: 'dana', submittedAt: now.toISOString() }),
    ]);
    // Act
    const result = await handler({}, lambdaContext);
    // Assess
    expect(result.published).toBe(true);
    expect(result.alerts.map((a) => [a.severity, a.scope])).toEqual([
      ['warning', 'account'],
      ['warning', 'account'],
      ['critical', 'exploratory'],
    ]);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const message = sns.commandCalls(PublishCommand)[0].args[0].input;
    expect(message.TopicArn).toBe(TEST_ENV.ALERT_TOPIC_ARN);
    expect(message.Message).toContain('Class exploratory scanned 800 GB in the last hour');
    expect(message.Message).toContain('exploratory: dana');
  });

  it('sends nothing when every reading is within its limits', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const result = await handler({}, lambdaContext);
    expect(result).toEqual({ alerts: [], published: false });
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });
});
