import { toLedgerItem } from '../../functions/adapters/ledger-item';
/**
 * Ownership on AWS: each route's handler reads the caller from the request context (the IAM principal
 * that signed the request) and answers 404 for a query the caller may not see, as for one that does
 * not exist, touching nothing. The test config (support/aws-env) has an admin role and a class, `fast`,
 * that shares its queries with the sessions of its submitter role.
 */
import './support/aws-env';
import { AthenaClient, GetQueryResultsCommand } from '@aws-sdk/client-athena';
import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { handler as cancelQuery } from '../../functions/cancel-query';
import type { QueryRecord } from '../../functions/core/query-record';
import { handler as getQuery } from '../../functions/get-query';
import { handler as getResults } from '../../functions/get-results';
import { handler as listQueries } from '../../functions/list-queries';
import { apiEvent, CALLER_ARN, lambdaContext, OTHER_ARN, queryRecord, storedItem } from './support/events';

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const athena = mockClient(AthenaClient);
const sqs = mockClient(SQSClient);

const ADMIN_SESSION = 'arn:aws:sts::123456789012:assumed-role/wlm-admin/dave';
const ANALYST_SESSION = 'arn:aws:sts::123456789012:assumed-role/analysts/carol';

beforeEach(() => {
  ddb.reset();
  sfn.reset();
  athena.reset();
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm1' });
  ddb.on(UpdateCommand).resolves({});
  sfn.on(StopExecutionCommand).resolves({ stopDate: new Date() });
  athena.on(GetQueryResultsCommand).resolves({
    ResultSet: { ResultSetMetadata: { ColumnInfo: [{ Name: 'n', Type: 'bigint' }] }, Rows: [] },
  });
});

const stored = (record: QueryRecord) => ddb.on(GetCommand).resolves({ Item: toLedgerItem(record) });

const routes = {
  status: (caller: string) =>
    getQuery(apiEvent('GET', '/queries/q1', { queryId: 'q1' }, null, caller), lambdaContext),
  results: (caller: string) =>
    getResults(apiEvent('GET', '/queries/q1/results', { queryId: 'q1' }, null, caller), lambdaContext),
  cancel: (caller: string) =>
    cancelQuery(apiEvent('DELETE', '/queries/q1', { queryId: 'q1' }, null, caller), lambdaContext),
};
const bodyOf = (response: APIGatewayProxyResult) => JSON.parse(response.body) as Record<string, unknown>;

describe.each(Object.entries(routes))('%s of a query', (route, call) => {
  const record = (overrides: Partial<QueryRecord> = {}) =>
    queryRecord('q1', {
      className: 'adhoc',
      status: route === 'results' ? 'SUCCEEDED' : 'RUNNING',
      executionArn: 'arn:aws:states:us-east-1:123456789012:execution:run-query:q1',
      athenaQueryExecutionId: 'athena-1',
      ...overrides,
    });

  it('is 404 to another principal, with the message of an unknown id, and changes nothing', async () => {
    stored(record());
    const response = await call(OTHER_ARN);
    expect(response.statusCode).toBe(404);
    expect(bodyOf(response).message).toMatch(/^No query with id q1\./);
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
    expect(sfn).not.toHaveReceivedCommand(StopExecutionCommand);
    expect(athena).not.toHaveReceivedCommand(GetQueryResultsCommand);
    expect(sqs).not.toHaveReceivedCommand(SendMessageCommand);
  });

  it('is allowed to the submitter and to any session of the admin role', async () => {
    for (const caller of [CALLER_ARN, ADMIN_SESSION]) {
      ddb.reset();
      ddb.on(UpdateCommand).resolves({});
      stored(record());
      expect((await call(caller)).statusCode).toBe(200);
    }
  });

  it('is allowed to a member of a sharing class, and 404 to that member in a class that does not share', async () => {
    stored(record({ className: 'fast' }));
    expect((await call(ANALYST_SESSION)).statusCode).toBe(200);
    ddb.reset();
    stored(record({ className: 'adhoc' }));
    expect((await call(ANALYST_SESSION)).statusCode).toBe(404);
  });

  it('keeps a record stored without a submitter to admins', async () => {
    stored(record({ className: 'fast', submittedBy: undefined }));
    expect((await call(CALLER_ARN)).statusCode).toBe(404);
    expect((await call(ANALYST_SESSION)).statusCode).toBe(404);
    expect((await call(ADMIN_SESSION)).statusCode).toBe(200);
  });
});

describe('GET /queries', () => {
  const list = (caller: string) =>
    listQueries(apiEvent('GET', '/queries', null, null, caller), lambdaContext);
  const filters = () =>
    Object.fromEntries(
      ddb.commandCalls(QueryCommand).map((c) => {
        const input = c.args[0].input;
        const values = input.ExpressionAttributeValues as Record<string, string>;
        return [values[':class'], { filter: input.FilterExpression, submittedBy: values[':submittedBy'] }];
      }),
    );

  beforeEach(() => ddb.on(QueryCommand).resolves({ Items: [] }));

  it("reads only the caller's own queries in every class", async () => {
    expect((await list(OTHER_ARN)).statusCode).toBe(200);
    const own = {
      filter: '#submittedBy = :submittedBy AND #submittedBy <> :noSubmitter',
      submittedBy: OTHER_ARN,
    };
    expect(filters()).toEqual({ adhoc: own, exploratory: own, fast: own, long: own, predictable: own });
  });

  it('reads every query that has a submitter in a class the caller shares as a member', async () => {
    await list(ANALYST_SESSION);
    expect(filters().fast).toEqual({
      filter: 'attribute_exists(#submittedBy) AND #submittedBy <> :noSubmitter',
      submittedBy: undefined,
    });
    expect(filters().adhoc).toMatchObject({ submittedBy: ANALYST_SESSION });
  });

  it('reads everything for an admin', async () => {
    await list(ADMIN_SESSION);
    expect(Object.values(filters()).every((f) => f.filter === undefined)).toBe(true);
  });

  it('will not resume one caller’s page token for another', async () => {
    ddb.on(QueryCommand).resolves({
      Items: [storedItem('q1', { className: 'adhoc' })],
      LastEvaluatedKey: { queryId: 'q1', className: 'adhoc', submittedAt: '2026-01-01T12:00:00.000Z' },
    });
    const first = bodyOf(
      await listQueries(apiEvent('GET', '/queries', null, { limit: '1' }, CALLER_ARN), lambdaContext),
    );
    expect(first.nextToken).toEqual(expect.any(String));
    const replayed = await listQueries(
      apiEvent('GET', '/queries', null, { limit: '1', nextToken: first.nextToken as string }, OTHER_ARN),
      lambdaContext,
    );
    expect(replayed.statusCode).toBe(400);
    expect(bodyOf(replayed)).toMatchObject({ field: 'nextToken' });
  });
});
