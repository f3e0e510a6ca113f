import './support/aws-env';
import { GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { parseConfig } from '../../contracts/config';
import { ENV } from '../../contracts/env';
import { handler } from '../../functions/list-workgroups';
import { TEST_ENV } from './support/aws-env';
import { apiEvent, lambdaContext } from './support/events';

/** Read on the handler's first call: the quota from Service Quotas, 10% headroom, limits as shares. */
process.env[ENV.config] = JSON.stringify(
  parseConfig({
    quota: { activeDmlQueries: 'service-quotas', headroom: '10%' },
    defaultClass: 'adhoc',
    classes: {
      etl: { guaranteedSlots: '50%', maxSlots: '80%' },
      exploratory: {
        guaranteedSlots: '5%',
        maxSlots: '60%',
        hourlyDataLimit: { expectedBytes: 1_000_000_000_000, bufferPercent: -30 },
      },
      adhoc: { guaranteedSlots: 0, maxSlots: 3 },
    },
  }),
);

const ddb = mockClient(DynamoDBDocumentClient);
const serviceQuotas = mockClient(ServiceQuotasClient);
const at = '2026-01-01T12:00:00.000Z';

beforeEach(() => {
  ddb.reset();
  serviceQuotas.reset();
  ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => {
    const values = input.ExpressionAttributeValues as Record<string, string>;
    // The dispatch table's slot holders (one item each), as the dispatcher writes them.
    if (input.TableName === TEST_ENV.DISPATCH_TABLE_NAME) {
      expect(values[':pk']).toBe('held');
      return {
        Items: [
          { pk: 'held', sk: 'a', queryId: 'a', className: 'exploratory', acquiredAt: at },
          { pk: 'held', sk: 'b', queryId: 'b', className: 'exploratory', acquiredAt: at },
          { pk: 'held', sk: 'c', queryId: 'c', className: 'etl', acquiredAt: at },
        ],
      };
    }
    return values[':class'] === 'exploratory'
      ? { Items: [{ status: 'QUEUED' }, { status: 'WAITING_FOR_SLOT' }, { status: 'WAITING_FOR_SLOT' }] }
      : { Items: [] };
  });
});

describe('list-workgroups handler', () => {
  // First: a container caches the quota it read for five minutes, and a failed read is not cached.
  it('shows the limits as configured when the live quota cannot be read', async () => {
    serviceQuotas.on(GetServiceQuotaCommand).rejects(new Error('AccessDeniedException'));
    const response = await handler(apiEvent('GET', '/workgroups', null), lambdaContext);
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body);
    expect(body).not.toHaveProperty('quota');
    expect(body).not.toHaveProperty('capacity');
    expect(body.classes.find((c: { name: string }) => c.name === 'exploratory')).toMatchObject({
      guaranteedSlots: '5%',
      maxSlots: '60%',
      slotsInUse: 2,
    });
  });
  it('shows each class with its limits as slots of the live quota, slots in use, queued and waiting counts', async () => {
    // Prepare: the account's quota is 200, so capacity is 180.
    serviceQuotas.on(GetServiceQuotaCommand).resolves({ Quota: { Value: 200 } });
    // Act
    const response = await handler(apiEvent('GET', '/workgroups', null), lambdaContext);
    // Assess
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body);
    expect(body).toMatchObject({
      quota: 200,
      headroom: '10%',
      capacity: 180,
      slotsInUse: 3,
      defaultClass: 'adhoc',
    });
    expect(serviceQuotas).toHaveReceivedCommandWith(GetServiceQuotaCommand, {
      ServiceCode: 'athena',
      QuotaCode: 'L-FC5F6546',
    });
    // exploratory: guaranteed 5% and at most 60% of 180.
    expect(body.classes.find((c: { name: string }) => c.name === 'exploratory')).toMatchObject({
      athenaWorkGroup: 'athena-wlm-exploratory',
      guaranteedSlots: 9,
      maxSlots: 108,
      slotsInUse: 2,
      queued: 1,
      waitingForSlot: 2,
      hourlyDataLimitBytes: 700_000_000_000,
    });
    expect(body.classes.find((c: { name: string }) => c.name === 'etl')).toMatchObject({
      guaranteedSlots: 90,
      maxSlots: 144,
      slotsInUse: 1,
      queued: 0,
    });
    expect(body.classes.find((c: { name: string }) => c.name === 'adhoc')).toMatchObject({
      guaranteedSlots: 0,
      maxSlots: 3,
    });
  });
});
