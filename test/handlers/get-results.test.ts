import './support/aws-env';
import { AthenaClient, GetQueryResultsCommand } from '@aws-sdk/client-athena';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../functions/get-results';
import { apiEvent, lambdaContext, storedItem } from './support/events';

const ddb = mockClient(DynamoDBDocumentClient);
const athena = mockClient(AthenaClient);

beforeEach(() => {
  ddb.reset();
  athena.reset();
});

const results = (query: Record<string, string> | null = null) =>
  handler(apiEvent('GET', '/queries/q1/results', { queryId: 'q1' }, query), lambdaContext);

describe('get-results handler', () => {
  it('answers 409 with the status and reason for a query that has not succeeded', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({
      Item: storedItem('q1', {
        status: 'WAITING_FOR_SLOT',
        reason: 'exploratory is at its cap of 4 running queries',
      }),
    });
    // Act
    const response = await results();
    // Assess
    expect(response.statusCode).toBe(409);
    expect(JSON.parse(response.body)).toMatchObject({
      status: 'WAITING_FOR_SLOT',
      reason: 'exploratory is at its cap of 4 running queries',
      message: expect.stringContaining('is WAITING_FOR_SLOT, not SUCCEEDED'),
    });
    expect(athena).not.toHaveReceivedCommand(GetQueryResultsCommand);
  });

  it('answers 200 with columns, rows, the next token and a CSV link for a succeeded query', async () => {
    // Prepare
    ddb.on(GetCommand).resolves({
      Item: storedItem('q1', {
        status: 'SUCCEEDED',
        athenaQueryExecutionId: 'athena-1',
        outputLocation: 's3://results-bucket/fast/athena-1.csv',
      }),
    });
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: [{ Name: 'n', Type: 'bigint' }] },
        Rows: [{ Data: [{ VarCharValue: 'n' }] }, { Data: [{ VarCharValue: '42' }] }],
      },
      NextToken: 'next',
    });
    // Act
    const response = await results({ maxResults: '2' });
    // Assess
    expect(response.statusCode).toBe(200);
    const body = JSON.parse(response.body);
    expect(body).toMatchObject({
      queryId: 'q1',
      columns: [{ name: 'n', type: 'bigint' }],
      rows: [['42']],
      nextToken: 'next',
    });
    expect(body.downloadUrl).toMatch(/^https:\/\/results-bucket\.s3\..*X-Amz-Expires=900/);
    expect(athena).toHaveReceivedCommandWith(GetQueryResultsCommand, {
      QueryExecutionId: 'athena-1',
      MaxResults: 3, // the header row of a first page counts toward MaxResults
    });
  });

  it('answers 400 naming maxResults when it is out of range', async () => {
    const response = await results({ maxResults: '5000' });
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ field: 'maxResults' });
    expect(ddb).not.toHaveReceivedCommand(GetCommand);
  });
});
