import './support/aws-env';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../functions/get-query';
import { TEST_ENV } from './support/aws-env';
import { apiEvent, lambdaContext, storedItem } from './support/events';

const ddb = mockClient(DynamoDBDocumentClient);

beforeEach(() => ddb.reset());

const get = (queryId: string) => handler(apiEvent('GET', `/queries/${queryId}`, { queryId }), lambdaContext);

describe('get-query handler', () => {
  it('answers 200 with the record, its queue wait and elapsed time', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({
      Item: storedItem('q1', {
        status: 'SUCCEEDED',
        startedAt: '2026-01-01T12:00:05.000Z',
        finishedAt: '2026-01-01T12:00:35.000Z',
        athenaQueryExecutionId: 'athena-1',
        error: undefined,
      }),
    });
    // Act
    const response = await get('q1');
    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual({ 'content-type': 'application/json' });
    expect(JSON.parse(response.body)).toMatchObject({
      queryId: 'q1',
      status: 'SUCCEEDED',
      query: 'SELECT 1',
      athenaQueryExecutionId: 'athena-1',
      queueWaitMs: 5000,
      elapsedMs: 35000,
      finished: true,
    });
    expect(ddb).toHaveReceivedCommandWith(GetCommand, {
      TableName: TEST_ENV.LEDGER_TABLE_NAME,
      Key: { queryId: 'q1' },
      ConsistentRead: true,
    });
  });

  it('says why a waiting query waits, from its class’s wait status, and how many of its class are ahead', async () => {
    // Prepare: the dispatch table keeps the class's wait status and its line (one item per query).
    ddb.on(GetCommand).resolves({
      Item: storedItem('q1', { status: 'WAITING_FOR_SLOT', reason: 'an older reason' }),
    });
    ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => {
      expect(input.TableName).toBe(TEST_ENV.DISPATCH_TABLE_NAME);
      const pk = (input.ExpressionAttributeValues as Record<string, string>)[':pk'];
      if (pk === 'status') {
        return {
          Items: [
            {
              pk,
              sk: 'fast',
              factor: 'class-cap',
              message: 'fast is at its cap of 2 running queries',
              since: 'x',
            },
          ],
        };
      }
      expect(input).toMatchObject({
        KeyConditionExpression: '#pk = :pk AND #sk < :sk',
        ExpressionAttributeValues: { ':pk': 'line#fast', ':sk': '2026-01-01T12:00:00.000Z#q1' },
        Select: 'COUNT',
      });
      return { Count: 3 };
    });
    // Act
    const response = await get('q1');
    // Assess
    expect(JSON.parse(response.body)).toMatchObject({
      status: 'WAITING_FOR_SLOT',
      reason: 'fast is at its cap of 2 running queries; 3 queries ahead of this one',
      queriesAhead: 3,
    });
  });

  it('reads no line for a query that does not wait', async () => {
    ddb.on(GetCommand).resolves({ Item: storedItem('q1', { status: 'RUNNING' }) });
    expect((await get('q1')).statusCode).toBe(200);
    expect(ddb).not.toHaveReceivedCommand(QueryCommand);
  });

  it('answers 404 with a message that says the query may still be in the intake queue', async () => {
    ddb.on(GetCommand).resolves({});
    const response = await get('q-unknown');
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body).message).toBe(
      'No query with id q-unknown. A query submitted seconds ago may still be in the intake queue; try again shortly.',
    );
  });

  it('answers 400 naming the field for an id that cannot be a query id, without reading the ledger', async () => {
    const response = await get('bad id!');
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({
      field: 'queryId',
      message: expect.stringMatching(/^queryId: /),
    });
    expect(ddb).not.toHaveReceivedCommand(GetCommand);
  });

  it('answers 500 with a request id when the ledger fails', async () => {
    ddb.on(GetCommand).rejects(new Error('boom'));
    const response = await get('q1');
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toMatchObject({ requestId: 'api-req-1' });
  });
});
