import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DynamoDbLedger, documentClient } from '../../functions/adapters/aws/dynamodb-ledger';
import { InvalidPageTokenError } from '../../functions/core/ports';
import type { QueryRecord } from '../../functions/core/query-record';

const ddb = mockClient(DynamoDBDocumentClient);
const NOW = new Date('2026-01-01T12:00:00.000Z');

function ledger() {
  return new DynamoDbLedger(documentClient(), {
    tableName: 'ledger',
    classes: ['fast', 'long'],
    clock: () => NOW,
  });
}

function record(queryId: string, overrides: Partial<QueryRecord> = {}): QueryRecord {
  return {
    queryId,
    className: 'fast',
    query: 'SELECT 1',
    database: 'default',
    catalog: 'AwsDataCatalog',
    submittedAt: '2026-01-01T11:00:00.000Z',
    status: 'QUEUED',
    attempts: 0,
    redrives: 0,
    updatedAt: '2026-01-01T11:00:00.000Z',
    ...overrides,
  };
}

/** A record as the table stores it: the class under its stored attribute name, `workgroup`. */
function stored({ className, ...rest }: QueryRecord): Record<string, unknown> {
  return { ...rest, workgroup: className };
}

const conditionFailed = () =>
  new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });

beforeEach(() => ddb.reset());

describe('DynamoDbLedger.create', () => {
  it('puts a new record only if no record has its queryId', async () => {
    // Prepare
    ddb.on(PutCommand).resolves({});
    // Act
    const result = await ledger().create(record('q1'));
    // Assess
    expect(result).toEqual({ created: true, record: record('q1') });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'ledger',
      Item: stored(record('q1')),
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': 'queryId' },
    });
  });

  it('returns the stored record, not created, when the queryId is taken (idempotent create)', async () => {
    // Prepare
    const running = record('q1', { status: 'RUNNING', attempts: 1 });
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: stored(running) });
    // Act
    const result = await ledger().create(record('q1'));
    // Assess
    expect(result).toEqual({ created: false, record: running });
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { Key: { queryId: 'q1' }, ConsistentRead: true });
  });

  it('lets errors other than a condition failure through', async () => {
    ddb.on(PutCommand).rejects(new Error('ProvisionedThroughputExceeded'));
    await expect(ledger().create(record('q1'))).rejects.toThrow('ProvisionedThroughputExceeded');
    expect(ddb).not.toHaveReceivedCommand(GetCommand);
  });
});

describe('DynamoDbLedger.update', () => {
  it('sets the patch and updatedAt, conditional on the record existing and its status', async () => {
    // Prepare
    ddb.on(UpdateCommand).resolves({});
    // Act
    const updated = await ledger().update(
      'q1',
      { status: 'FAILED', reason: 'bad', error: { code: 'X', message: 'bad' }, outputLocation: undefined },
      ['QUEUED', 'WAITING_FOR_SLOT'],
    );
    // Assess
    expect(updated).toBe(true);
    const input = ddb.commandCalls(UpdateCommand)[0].args[0].input;
    expect(input.Key).toEqual({ queryId: 'q1' });
    expect(input.ConditionExpression).toBe('attribute_exists(#pk) AND #currentStatus IN (:only0, :only1)');
    expect(input.ExpressionAttributeValues).toMatchObject({
      ':updatedAt': NOW.toISOString(),
      ':only0': 'QUEUED',
      ':only1': 'WAITING_FOR_SLOT',
    });
    const names = input.ExpressionAttributeNames as Record<string, string>;
    const values = input.ExpressionAttributeValues as Record<string, unknown>;
    const set = Object.fromEntries(
      (input.UpdateExpression as string)
        .replace(/^SET /, '')
        .split(', ')
        .map((a) => a.split(' = '))
        .map(([n, v]) => [names[n], values[v]]),
    );
    expect(set).toEqual({
      updatedAt: NOW.toISOString(),
      status: 'FAILED',
      reason: 'bad',
      error: { code: 'X', message: 'bad' },
    });
  });

  it('returns false when the status is not one of onlyIf (ConditionalCheckFailed)', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed());
    await expect(ledger().update('q1', { status: 'RUNNING' }, ['QUEUED'])).resolves.toBe(false);
  });

  it('lets other errors through', async () => {
    ddb.on(UpdateCommand).rejects(new Error('network down'));
    await expect(ledger().update('q1', { status: 'RUNNING' })).rejects.toThrow('network down');
  });

  it('changes nothing for an empty onlyIf list', async () => {
    await expect(ledger().update('q1', { status: 'RUNNING' }, [])).resolves.toBe(false);
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
  });
});

describe('DynamoDbLedger.list', () => {
  /** A fake class index: items per partition, newest first, paged by ExclusiveStartKey and Limit. */
  function fakeIndex(partitions: Record<string, QueryRecord[]>) {
    ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => {
      const values = input.ExpressionAttributeValues as Record<string, unknown>;
      const all = [...(partitions[values[':class'] as string] ?? [])].sort((a, b) =>
        b.submittedAt.localeCompare(a.submittedAt),
      );
      const start = input.ExclusiveStartKey
        ? all.findIndex((r) => r.queryId === (input.ExclusiveStartKey as { queryId: string }).queryId) + 1
        : 0;
      const page = all.slice(start, start + (input.Limit ?? 1000));
      const more = start + page.length < all.length;
      const matching = page.filter((r) => values[':status'] === undefined || r.status === values[':status']);
      const last = page[page.length - 1];
      return {
        Items: matching.map(stored),
        ...(more && last
          ? {
              LastEvaluatedKey: {
                queryId: last.queryId,
                workgroup: last.className,
                submittedAt: last.submittedAt,
              },
            }
          : {}),
      };
    });
  }

  const at = (minute: number) => `2026-01-01T11:${String(minute).padStart(2, '0')}:00.000Z`;

  it('queries the class index newest first when a class is given', async () => {
    // Prepare
    fakeIndex({ fast: [record('a', { submittedAt: at(1) }), record('b', { submittedAt: at(2) })] });
    // Act
    const page = await ledger().list({ className: 'fast', limit: 10 });
    // Assess
    expect(page.items.map((r) => r.queryId)).toEqual(['b', 'a']);
    expect(page.nextToken).toBeUndefined();
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'byWorkgroup',
      KeyConditionExpression: '#class = :class',
      ExpressionAttributeNames: { '#class': 'workgroup' },
      ScanIndexForward: false,
    });
    expect(ddb).not.toHaveReceivedCommand(GetCommand);
  });

  it('merges every class newest first without a scan, and its token resumes where the page ended', async () => {
    // Prepare
    const fast = [1, 3, 5, 7].map((m) => record(`f${m}`, { className: 'fast', submittedAt: at(m) }));
    const long = [2, 4, 6].map((m) => record(`l${m}`, { className: 'long', submittedAt: at(m) }));
    fakeIndex({ fast, long });
    // Act
    const first = await ledger().list({ limit: 3 });
    const second = await ledger().list({ limit: 3, nextToken: first.nextToken });
    const third = await ledger().list({ limit: 3, nextToken: second.nextToken });
    // Assess
    expect(first.items.map((r) => r.queryId)).toEqual(['f7', 'l6', 'f5']);
    expect(second.items.map((r) => r.queryId)).toEqual(['l4', 'f3', 'l2']);
    expect(third.items.map((r) => r.queryId)).toEqual(['f1']);
    expect(third.nextToken).toBeUndefined();
    expect(first.nextToken).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('filters by status with a filter expression and still fills the page', async () => {
    // Prepare
    const items = [1, 2, 3, 4, 5, 6].map((m) =>
      record(`q${m}`, { submittedAt: at(m), status: m % 2 === 0 ? 'FAILED' : 'SUCCEEDED' }),
    );
    fakeIndex({ fast: items });
    // Act
    const page = await ledger().list({ className: 'fast', status: 'FAILED', limit: 2 });
    const rest = await ledger().list({
      className: 'fast',
      status: 'FAILED',
      limit: 2,
      nextToken: page.nextToken,
    });
    // Assess
    expect(page.items.map((r) => r.queryId)).toEqual(['q6', 'q4']);
    expect(rest.items.map((r) => r.queryId)).toEqual(['q2']);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, { FilterExpression: '#status = :status' });
  });

  it('refuses a token that is not one it issued, or one issued for other filters', async () => {
    fakeIndex({ fast: [1, 2, 3].map((m) => record(`q${m}`, { submittedAt: at(m) })) });
    const page = await ledger().list({ className: 'fast', limit: 1 });
    await expect(ledger().list({ limit: 1, nextToken: 'garbage' })).rejects.toBeInstanceOf(
      InvalidPageTokenError,
    );
    await expect(
      ledger().list({ className: 'fast', status: 'FAILED', limit: 1, nextToken: page.nextToken }),
    ).rejects.toThrow(/other filters/);
  });
});

describe('DynamoDbLedger.countByStatus', () => {
  it('counts the statuses of a class since a time from the index, following pages', async () => {
    // Prepare
    ddb
      .on(QueryCommand)
      .resolvesOnce({
        Items: [{ status: 'QUEUED' }, { status: 'WAITING_FOR_SLOT' }],
        LastEvaluatedKey: { queryId: 'x' },
      })
      .resolvesOnce({ Items: [{ status: 'QUEUED' }] });
    // Act
    const counts = await ledger().countByStatus(
      'fast',
      ['QUEUED', 'WAITING_FOR_SLOT'],
      '2026-01-01T00:00:00.000Z',
    );
    // Assess
    expect(counts).toEqual({ QUEUED: 2, WAITING_FOR_SLOT: 1 });
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 2);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      IndexName: 'byWorkgroup',
      KeyConditionExpression: '#class = :class AND #submittedAt >= :since',
      FilterExpression: '#status IN (:s0, :s1)',
    });
  });
});
