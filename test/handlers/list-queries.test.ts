import './support/aws-env';
import { DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../functions/list-queries';
import { apiEvent, CALLER_ARN, lambdaContext, storedItem } from './support/events';

const ddb = mockClient(DynamoDBDocumentClient);

beforeEach(() => ddb.reset());

const list = (query: Record<string, string> | null) =>
  handler(apiEvent('GET', '/queries', null, query), lambdaContext);

describe('list-queries handler', () => {
  it('lists a class newest first from the index, with long SQL cut short', async () => {
    // Prepare
    ddb.on(QueryCommand).resolves({
      Items: [
        storedItem('q2', { submittedAt: '2026-01-01T12:00:02.000Z', query: `SELECT ${'x, '.repeat(600)}1` }),
        storedItem('q1', { submittedAt: '2026-01-01T12:00:01.000Z' }),
      ],
    });
    // Act
    const response = await list({ className: 'fast', status: 'QUEUED', limit: '2' });
    // Assess
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body);
    expect(body.items.map((i: { queryId: string }) => i.queryId)).toEqual(['q2', 'q1']);
    expect(body.items[0]).toMatchObject({ queryTruncated: true });
    expect(body.items[0].query.length).toBeLessThanOrEqual(1001);
    const input = ddb.commandCalls(QueryCommand)[0].args[0].input as QueryCommandInput;
    expect(input).toMatchObject({
      IndexName: 'byWorkgroup',
      ScanIndexForward: false,
      FilterExpression: '#status = :status AND #submittedBy = :submittedBy AND #submittedBy <> :noSubmitter',
    });
    expect(input.ExpressionAttributeValues).toMatchObject({ ':submittedBy': CALLER_ARN });
  });

  it('shows each query with its class as className and, for older clients, as workgroup', async () => {
    ddb.on(QueryCommand).resolves({ Items: [storedItem('q1', { className: 'long' })] });
    const body = JSON.parse((await list(null)).body);
    expect(body.items[0]).toMatchObject({ className: 'long', workgroup: 'long' });
  });

  it('still reads the class filter by its first name, workgroup, and refuses two different classes', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    expect((await list({ workgroup: 'fast' })).statusCode).toBe(200);
    expect((await list({ workgroup: 'fast', className: 'fast' })).statusCode).toBe(200);
    const partitions = ddb
      .commandCalls(QueryCommand)
      .map((c) => (c.args[0].input.ExpressionAttributeValues as Record<string, string>)[':class']);
    expect(partitions).toEqual(['fast', 'fast']);

    const both = await list({ workgroup: 'fast', className: 'long' });
    expect(both.statusCode).toBe(400);
    expect(JSON.parse(both.body)).toMatchObject({ field: 'workgroup' });
  });

  it('without a class, reads each class partition (never a scan)', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    const response = await list(null);
    expect(response.statusCode).toBe(200);
    const partitions = ddb
      .commandCalls(QueryCommand)
      .map((c) => (c.args[0].input.ExpressionAttributeValues as Record<string, string>)[':class'])
      .sort();
    expect(partitions).toEqual(['adhoc', 'exploratory', 'fast', 'long', 'predictable']);
  });

  it.each([
    [{ status: 'DONE' }, 'status'],
    [{ className: 'nope' }, 'className'],
    [{ workgroup: 'nope' }, 'workgroup'],
    [{ limit: '0' }, 'limit'],
    [{ nextToken: 'not-a-token' }, 'nextToken'],
  ])('answers 400 naming the field for %j', async (query, field) => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    const response = await list(query);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ field });
  });
});
