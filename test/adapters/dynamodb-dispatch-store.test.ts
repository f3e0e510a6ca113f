import {
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  DynamoDbDispatchStore,
  linePartition,
  lineSortKey,
} from '../../functions/adapters/aws/dynamodb-dispatch-store';
import { documentClient } from '../../functions/adapters/aws/dynamodb-ledger';
import type { LineEntry, SlotHolder } from '../../functions/core/ports';
import { LocalDocumentClient } from '../../local/dynamodb/local-document-client';
import { LocalDynamoDb } from '../../local/dynamodb/local-dynamodb';
import { tempDatabase } from '../local/store/temp-db';

const TABLE = 'dispatch';
const ddb = mockClient(DynamoDBDocumentClient);
const ARN = (name: string) => `arn:aws:states:us-east-1:123456789012:execution:run-query:${name}`;

function entry(queryId: string, submittedAt: string, overrides: Partial<LineEntry> = {}): LineEntry {
  return {
    queryId,
    className: 'fast',
    submittedAt,
    attempt: 1,
    executionArn: ARN(queryId),
    taskToken: `token-${queryId}`,
    waitUntil: '2026-01-01T03:00:00.000Z',
    enteredAt: submittedAt,
    ...overrides,
  };
}

function holder(queryId: string, executionArn = ARN(queryId)): SlotHolder {
  return { queryId, className: 'fast', acquiredAt: '2026-01-01T00:00:00.000Z', executionArn, attempt: 1 };
}

/**
 * Every command the adapter sends is recorded by aws-sdk-client-mock and then executed by the local
 * DynamoDB (the same key conditions, condition expressions and paging), so each test checks both the
 * request DynamoDB would get and what DynamoDB would do with it. Query pages hold at most `pageSize`
 * items, as DynamoDB's 1 MB pages would with bigger items.
 */
function storeOverLocalDynamoDb(pageSize = 1000) {
  const database = tempDatabase();
  const local = new LocalDocumentClient(
    new LocalDynamoDb(database.db, { [TABLE]: { partitionKey: 'pk', sortKey: 'sk' } }),
  );
  ddb.on(PutCommand).callsFake((input) => local.send(new PutCommand(input)));
  ddb.on(DeleteCommand).callsFake((input) => local.send(new DeleteCommand(input)));
  ddb
    .on(QueryCommand)
    .callsFake((input: QueryCommandInput) =>
      local.send(new QueryCommand({ ...input, Limit: Math.min(input.Limit ?? pageSize, pageSize) })),
    );
  return { store: new DynamoDbDispatchStore(documentClient(), TABLE), close: () => database.close() };
}

let close: () => void = () => {};
beforeEach(() => ddb.reset());
afterEach(() => close());

describe('DynamoDbDispatchStore lines', () => {
  it('keeps one item per waiting query, keyed by class and ordered by submission, with a TTL after its wait', async () => {
    // Prepare
    const local = storeOverLocalDynamoDb();
    close = local.close;
    const late = entry('q-late', '2026-01-01T00:00:02.000Z');
    const early = entry('q-early', '2026-01-01T00:00:01.000Z');
    const other = entry('q-long', '2026-01-01T00:00:00.000Z', { className: 'long' });
    // Act
    for (const e of [late, other, early]) await local.store.join(e);
    // Assess
    expect(await local.store.heads('fast', 10)).toEqual([early, late]);
    expect(await local.store.heads('long', 10)).toEqual([other]);
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLE,
      Item: {
        pk: 'line#fast',
        sk: '2026-01-01T00:00:01.000Z#q-early',
        ...early,
        // waitUntil (2026-01-01T03:00:00Z) in epoch seconds, plus a day.
        expiresAt: Date.parse('2026-01-01T03:00:00.000Z') / 1000 + 86_400,
      },
    });
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'pk' },
      ExpressionAttributeValues: { ':pk': 'line#fast' },
      ConsistentRead: true,
      Limit: 10,
    });
  });

  it('breaks a tie of submission times by queryId, and a query entering again keeps its place', async () => {
    const local = storeOverLocalDynamoDb();
    close = local.close;
    const at = '2026-01-01T00:00:00.000Z';
    await local.store.join(entry('b', at));
    await local.store.join(entry('a', at));
    await local.store.join(entry('c', '2025-12-31T23:59:59.000Z'));
    // The re-run of `b` (a new attempt, a new token) replaces its entry, in the same place.
    const rerun = entry('b', at, { attempt: 2, taskToken: 'token-b-2', executionArn: ARN('b.r1') });
    await local.store.join(rerun);
    expect((await local.store.heads('fast', 10)).map((e) => [e.queryId, e.attempt])).toEqual([
      ['c', 1],
      ['a', 1],
      ['b', 2],
    ]);
  });

  it('reads the head of a long line across pages, asking each page only for what is still missing', async () => {
    // Prepare: 7 waiting, pages of 2.
    const local = storeOverLocalDynamoDb(2);
    close = local.close;
    for (let i = 6; i >= 0; i--) await local.store.join(entry(`q${i}`, `2026-01-01T00:00:0${i}.000Z`));
    ddb.resetHistory();
    // Act
    const heads = await local.store.heads('fast', 5);
    // Assess
    expect(heads.map((e) => e.queryId)).toEqual(['q0', 'q1', 'q2', 'q3', 'q4']);
    const queries = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(queries.map((q) => q.Limit)).toEqual([5, 3, 1]);
    expect(queries[0].ExclusiveStartKey).toBeUndefined();
    expect(queries[1].ExclusiveStartKey).toEqual({ pk: 'line#fast', sk: lineSortKey(heads[1]) });
    expect(queries[2].ExclusiveStartKey).toEqual({ pk: 'line#fast', sk: lineSortKey(heads[3]) });
  });

  it('takes a query out of its line and says what it was, once', async () => {
    const local = storeOverLocalDynamoDb();
    close = local.close;
    const e = entry('q1', '2026-01-01T00:00:00.000Z');
    await local.store.join(e);
    await expect(local.store.leave(e)).resolves.toEqual(e);
    await expect(local.store.leave(e)).resolves.toBeUndefined();
    await expect(local.store.heads('fast', 10)).resolves.toEqual([]);
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, {
      TableName: TABLE,
      Key: { pk: linePartition('fast'), sk: lineSortKey(e) },
      ReturnValues: 'ALL_OLD',
    });
  });

  it('counts the queries of its class ahead of a query, at most the limit, with a COUNT query', async () => {
    const local = storeOverLocalDynamoDb();
    close = local.close;
    for (let i = 0; i < 6; i++) await local.store.join(entry(`q${i}`, `2026-01-01T00:00:0${i}.000Z`));
    await local.store.join(entry('other', '2025-01-01T00:00:00.000Z', { className: 'long' }));
    const key = { queryId: 'q4', className: 'fast', submittedAt: '2026-01-01T00:00:04.000Z' };
    await expect(local.store.ahead(key, 100)).resolves.toBe(4);
    await expect(local.store.ahead(key, 3)).resolves.toBe(3);
    await expect(
      local.store.ahead({ ...key, queryId: 'q0', submittedAt: '2026-01-01T00:00:00.000Z' }, 100),
    ).resolves.toBe(0);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      KeyConditionExpression: '#pk = :pk AND #sk < :sk',
      ExpressionAttributeValues: { ':pk': 'line#fast', ':sk': '2026-01-01T00:00:04.000Z#q4' },
      Select: 'COUNT',
      Limit: 3,
    });
  });

  it('never grows an item with the line: a thousand waiting queries are a thousand small items', async () => {
    const local = storeOverLocalDynamoDb();
    close = local.close;
    for (let i = 0; i < 1000; i++) {
      await local.store.join(entry(`q${String(i).padStart(4, '0')}`, '2026-01-01T00:00:00.000Z'));
    }
    const puts = ddb.commandCalls(PutCommand).map((c) => c.args[0].input);
    expect(puts).toHaveLength(1000);
    expect(new Set(puts.map((p) => `${p.Item?.pk}|${p.Item?.sk}`)).size).toBe(1000);
    expect(Math.max(...puts.map((p) => JSON.stringify(p.Item).length))).toBeLessThan(1024);
    expect(await local.store.ahead(entry('q0999', '2026-01-01T00:00:00.000Z'), 5000)).toBe(999);
  });
});

describe('DynamoDbDispatchStore slots', () => {
  it('frees a slot only for the execution it was given to', async () => {
    // Prepare
    const local = storeOverLocalDynamoDb();
    close = local.close;
    await local.store.hold(holder('q1', ARN('q1.r1')));
    // Act / Assess: a late release of the first attempt leaves the second attempt's slot held.
    await expect(local.store.free('q1', ARN('q1'))).resolves.toBe(false);
    expect(await local.store.holders()).toEqual([holder('q1', ARN('q1.r1'))]);
    await expect(local.store.free('q1', ARN('q1.r1'))).resolves.toBe(true);
    await expect(local.store.holders()).resolves.toEqual([]);
    await expect(local.store.free('q1', ARN('q1.r1'))).resolves.toBe(false);
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, {
      Key: { pk: 'held', sk: 'q1' },
      ConditionExpression: 'attribute_exists(#sk) AND (attribute_not_exists(#arn) OR #arn = :arn)',
      ExpressionAttributeNames: { '#sk': 'sk', '#arn': 'executionArn' },
      ExpressionAttributeValues: { ':arn': ARN('q1.r1') },
    });
  });

  it('frees any execution’s slot when no execution is named, and a holder without one by any release', async () => {
    const local = storeOverLocalDynamoDb();
    close = local.close;
    await local.store.hold(holder('q1'));
    await local.store.hold({ queryId: 'q2', className: 'long', acquiredAt: '2026-01-01T00:00:00.000Z' });
    await expect(local.store.free('q1')).resolves.toBe(true);
    await expect(local.store.free('q2', ARN('q2'))).resolves.toBe(true);
    await expect(local.store.holders()).resolves.toEqual([]);
  });

  it('lists every holder across pages, without its table keys', async () => {
    const local = storeOverLocalDynamoDb(3);
    close = local.close;
    const held = Array.from({ length: 8 }, (_, i) => holder(`q${i}`));
    for (const h of held) await local.store.hold(h);
    await local.store.join(entry('waiting', '2026-01-01T00:00:00.000Z'));
    await expect(local.store.holders()).resolves.toEqual(held);
    // 8 holders in pages of 3: the third page is short, so there is no fourth request.
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(3);
  });

  it('lets errors other than a failed condition through, so the pass is retried', async () => {
    ddb.on(DeleteCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const store = new DynamoDbDispatchStore(documentClient(), TABLE);
    await expect(store.free('q1', ARN('q1'))).rejects.toThrow('Rate exceeded');
  });
});

describe('DynamoDbDispatchStore wait statuses', () => {
  it('keeps why each class waits, one item per class, and removes it when the line empties', async () => {
    const local = storeOverLocalDynamoDb();
    close = local.close;
    const busy = {
      factor: 'class-max',
      message: 'fast holds its 2 slots',
      since: '2026-01-01T00:00:00.000Z',
    };
    await local.store.setWaitStatus('fast', busy);
    await local.store.setWaitStatus('long', { ...busy, factor: 'capacity', message: 'all 18 slots busy' });
    await local.store.setWaitStatus('long', undefined);
    await expect(local.store.waitStatus()).resolves.toEqual({ fast: busy });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, { Item: { pk: 'status', sk: 'fast', ...busy } });
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, { Key: { pk: 'status', sk: 'long' } });
  });
});
