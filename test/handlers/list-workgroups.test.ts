import './support/aws-env';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../functions/list-workgroups';
import { apiEvent } from './support/events';

const ddb = mockClient(DynamoDBDocumentClient);

describe('list-workgroups handler', () => {
  it('shows each class with its limits, slots in use, queued and waiting counts', async () => {
    // Prepare
    const at = '2026-01-01T12:00:00.000Z';
    ddb.on(GetCommand).resolves({
      Item: {
        id: 'slots',
        holders: {
          a: { className: 'exploratory', acquiredAt: at },
          b: { className: 'exploratory', acquiredAt: at },
        },
        version: 3,
      },
    });
    ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => {
      const wg = (input.ExpressionAttributeValues as Record<string, string>)[':wg'];
      return wg === 'exploratory'
        ? { Items: [{ status: 'QUEUED' }, { status: 'WAITING_FOR_SLOT' }, { status: 'WAITING_FOR_SLOT' }] }
        : { Items: [] };
    });
    // Act
    const response = await handler(apiEvent('GET', '/workgroups', null));
    // Assess
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body);
    expect(body).toMatchObject({
      quota: 20,
      headroom: 2,
      capacity: 18,
      slotsInUse: 2,
      defaultClass: 'adhoc',
    });
    expect(body.classes.find((c: { name: string }) => c.name === 'exploratory')).toMatchObject({
      athenaWorkGroup: 'athena-wlm-exploratory',
      guaranteedSlots: 1,
      maxSlots: 3,
      slotsInUse: 2,
      queued: 1,
      waitingForSlot: 2,
      hourlyDataLimitBytes: 700_000_000_000,
    });
    expect(body.classes.find((c: { name: string }) => c.name === 'fast')).toMatchObject({
      slotsInUse: 0,
      queued: 0,
    });
  });
});
