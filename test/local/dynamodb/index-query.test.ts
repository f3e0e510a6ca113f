import {
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { LocalDocumentClient } from '../../../local/dynamodb/local-document-client';
import { LocalDynamoDb } from '../../../local/dynamodb/local-dynamodb';
import { compileQuery, keyColumnsOf, querySql } from '../../../local/dynamodb/query';
import { LOCAL_TABLE_SCHEMAS, LOCAL_TABLES } from '../../../local/store/local-names';
import { tempDatabase } from '../store/temp-db';

/**
 * Query on a global secondary index, with the rules of the DynamoDB API reference (Query): Limit is the
 * number of items evaluated before the filter, a page holds at most 1 MB read, an index holds only the
 * items that have its keys (sparse), and an index read is never strongly consistent.
 */
describe('LocalDynamoDb Query on a global secondary index', () => {
  let store: ReturnType<typeof tempDatabase>;
  let client: LocalDocumentClient;
  const TABLE = 'ledger';
  const schema = {
    [TABLE]: { partitionKey: 'queryId', indexes: { byClass: { partitionKey: 'cls', sortKey: 'at' } } },
  };

  beforeEach(() => {
    store = tempDatabase();
    client = new LocalDocumentClient(new LocalDynamoDb(store.db, schema));
  });
  afterEach(() => store.close());

  const put = (queryId: string, item: Record<string, unknown>) =>
    client.send(new PutCommand({ TableName: TABLE, Item: { queryId, ...item } }));
  const query = async (input: Partial<QueryCommandInput> = {}) =>
    (await client.send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: 'byClass',
        KeyConditionExpression: '#c = :c',
        ExpressionAttributeNames: { '#c': 'cls' },
        ExpressionAttributeValues: { ':c': 'fast' },
        ...input,
      }),
    )) as Omit<QueryCommandOutput, '$metadata'>;
  const ids = (out: { Items?: Record<string, unknown>[] }) => (out.Items ?? []).map((i) => i.queryId);

  it('reads one index partition in sort-key order, either way, leaving out items without the index keys', async () => {
    await put('a', { cls: 'fast', at: '2026-01-01T00:00:02Z' });
    await put('b', { cls: 'fast', at: '2026-01-01T00:00:01Z' });
    await put('c', { cls: 'long', at: '2026-01-01T00:00:03Z' });
    await put('d', { cls: 'fast' });
    await put('e', { at: '2026-01-01T00:00:00Z' });
    expect(ids(await query())).toEqual(['b', 'a']);
    expect(ids(await query({ ScanIndexForward: false }))).toEqual(['a', 'b']);
  });

  it('resumes after the LastEvaluatedKey, which names the table key and the index key, through ties', async () => {
    for (const id of ['q1', 'q2', 'q3', 'q4']) await put(id, { cls: 'fast', at: '2026-01-01T00:00:00Z' });
    await put('q0', { cls: 'fast', at: '2026-01-01T00:00:09Z' });
    const first = await query({ ScanIndexForward: false, Limit: 2 });
    expect(ids(first)).toEqual(['q0', 'q4']);
    expect(first.LastEvaluatedKey).toEqual({ queryId: 'q4', cls: 'fast', at: '2026-01-01T00:00:00Z' });
    const second = await query({
      ScanIndexForward: false,
      Limit: 2,
      ExclusiveStartKey: first.LastEvaluatedKey,
    });
    expect(ids(second)).toEqual(['q3', 'q2']);
    const third = await query({
      ScanIndexForward: false,
      Limit: 2,
      ExclusiveStartKey: second.LastEvaluatedKey,
    });
    expect(ids(third)).toEqual(['q1']);
    expect(third.LastEvaluatedKey).toBeUndefined();
  });

  it('counts Limit in items read before the filter, and stops at the last one read even when it was filtered out', async () => {
    const statuses = ['FAILED', 'SUCCEEDED', 'SUCCEEDED', 'FAILED', 'SUCCEEDED'];
    for (const [n, status] of statuses.entries())
      await put(`q${n}`, { cls: 'fast', at: `2026-01-0${n + 1}`, status });
    const filtered = {
      FilterExpression: '#s = :s',
      ExpressionAttributeNames: { '#c': 'cls', '#s': 'status' },
      ExpressionAttributeValues: { ':c': 'fast', ':s': 'FAILED' },
    };
    const first = await query({ ...filtered, Limit: 3 });
    expect(ids(first)).toEqual(['q0']);
    expect(first).toMatchObject({ Count: 1, ScannedCount: 3, LastEvaluatedKey: { queryId: 'q2' } });
    const rest = await query({ ...filtered, Limit: 3, ExclusiveStartKey: first.LastEvaluatedKey });
    expect(ids(rest)).toEqual(['q3']);
    expect(rest).toMatchObject({ Count: 1, ScannedCount: 2 });
    expect(rest.LastEvaluatedKey).toBeUndefined();
  });

  it('runs the ledger list filters: IN, <>, attribute_exists, AND', async () => {
    await put('mine', { cls: 'fast', at: '1', submittedBy: 'ana', status: 'QUEUED' });
    await put('theirs', { cls: 'fast', at: '2', submittedBy: 'bo', status: 'RUNNING' });
    await put('nobody', { cls: 'fast', at: '3', submittedBy: '', status: 'QUEUED' });
    await put('unset', { cls: 'fast', at: '4', status: 'DEFERRED' });
    const out = await query({
      FilterExpression: 'attribute_exists(#by) AND #by <> :none AND #s IN (:q, :r)',
      ExpressionAttributeNames: { '#c': 'cls', '#by': 'submittedBy', '#s': 'status' },
      ExpressionAttributeValues: { ':c': 'fast', ':none': '', ':q': 'QUEUED', ':r': 'RUNNING' },
    });
    expect(ids(out)).toEqual(['mine', 'theirs']);
  });

  it('narrows the sort key in the key condition: >=, BETWEEN, begins_with', async () => {
    for (const at of ['2026-01-01', '2026-01-15', '2026-02-01', '2027-01-01'])
      await put(at, { cls: 'fast', at });
    const withSort = async (condition: string, values: Record<string, string>) =>
      ids(
        await query({
          KeyConditionExpression: `#c = :c AND ${condition}`,
          ExpressionAttributeNames: { '#c': 'cls', '#a': 'at' },
          ExpressionAttributeValues: { ':c': 'fast', ...values },
        }),
      );
    expect(await withSort('#a >= :since', { ':since': '2026-01-15' })).toEqual([
      '2026-01-15',
      '2026-02-01',
      '2027-01-01',
    ]);
    expect(await withSort('#a BETWEEN :lo AND :hi', { ':lo': '2026-01-02', ':hi': '2026-02-01' })).toEqual([
      '2026-01-15',
      '2026-02-01',
    ]);
    expect(await withSort('begins_with(#a, :p)', { ':p': '2026-01' })).toEqual(['2026-01-01', '2026-01-15']);
  });

  it('returns only the projected attributes, and no items at all with Select COUNT', async () => {
    await put('q1', { cls: 'fast', at: '1', status: 'QUEUED', error: { code: 'X', message: 'm' } });
    const projected = await query({
      ProjectionExpression: '#s, #e.#code',
      ExpressionAttributeNames: { '#c': 'cls', '#s': 'status', '#e': 'error', '#code': 'code' },
    });
    expect(projected.Items).toEqual([{ status: 'QUEUED', error: { code: 'X' } }]);
    expect(await query({ Select: 'COUNT' })).toEqual({ Count: 1, ScannedCount: 1 });
  });

  it('stops a page after 1 MB read, with a LastEvaluatedKey, as DynamoDB does', async () => {
    const big = 'x'.repeat(300 * 1024);
    for (let n = 0; n < 6; n++) await put(`q${n}`, { cls: 'fast', at: String(n), big });
    const first = await query({ ProjectionExpression: 'queryId', ExpressionAttributeNames: { '#c': 'cls' } });
    // 300 KB each: the fourth item read passes 1 MB.
    expect(first.ScannedCount).toBe(4);
    expect(first.LastEvaluatedKey).toBeDefined();
    const rest = await query({ ProjectionExpression: 'queryId', ExclusiveStartKey: first.LastEvaluatedKey });
    expect([...ids(first), ...ids(rest)]).toEqual(['q0', 'q1', 'q2', 'q3', 'q4', 'q5']);
  });

  it('refuses what DynamoDB refuses, with its error names', async () => {
    const refused = (input: Partial<QueryCommandInput>) => expect(query(input)).rejects;
    await refused({ ConsistentRead: true }).toMatchObject({
      name: 'ValidationException',
      message: 'Consistent reads are not supported on global secondary indexes',
    });
    await refused({ IndexName: 'nope' }).toMatchObject({
      message: expect.stringMatching(/does not have the specified index: nope/),
    });
    await refused({
      FilterExpression: '#a > :c',
      ExpressionAttributeNames: { '#c': 'cls', '#a': 'at' },
    }).toMatchObject({
      message: 'Filter Expression can only contain non-primary key attributes: Primary key attribute: at',
    });
    await refused({
      KeyConditionExpression: '#c = :c OR #c = :c',
    }).toMatchObject({ message: expect.stringMatching(/^Query key condition not supported/) });
    await refused({
      KeyConditionExpression: '#a = :c',
      ExpressionAttributeNames: { '#a': 'at' },
    }).toMatchObject({ message: 'Query condition missed key schema element: cls' });
    await refused({ ExpressionAttributeNames: { '#c': 'cls', '#unused': 'x' } }).toMatchObject({
      message: expect.stringMatching(/unused in expressions: keys: \{#unused\}/),
    });
    await refused({ Limit: 0 }).toMatchObject({ name: 'ValidationException' });
    await refused({ ExclusiveStartKey: { queryId: 'q1' } }).toMatchObject({
      message: expect.stringMatching(/starting key is invalid.*missing cls, at/),
    });
  });
});

describe('the SQL of a Query', () => {
  it('seeks the expression indexes of the documents table: the ledger by class, a line by partition', () => {
    const store = tempDatabase();
    try {
      const plan = (sql: string, args: unknown[]) =>
        store.db
          .prepare(`EXPLAIN QUERY PLAN ${sql}`)
          .all(...args)
          .map((row) => (row as { detail: string }).detail)
          .join('; ');
      const ledger = LOCAL_TABLE_SCHEMAS[LOCAL_TABLES.ledger];
      const byWorkgroup = Object.values(ledger.indexes ?? {})[0];
      const listing = compileQuery(
        {
          TableName: LOCAL_TABLES.ledger,
          KeyConditionExpression: '#class = :class AND #at >= :since',
          ExpressionAttributeNames: { '#class': 'workgroup', '#at': 'submittedAt' },
          ExpressionAttributeValues: { ':class': { S: 'fast' }, ':since': { S: '2026' } },
        },
        byWorkgroup,
      );
      const indexRead = querySql(LOCAL_TABLES.ledger, keyColumnsOf(ledger, byWorkgroup), listing, {
        forward: false,
        after: { sort: '2026-02', pk: '["q1"]' },
        limit: 50,
      });
      expect(plan(indexRead.sql, indexRead.args)).toMatch(
        /SEARCH documents USING INDEX documents_by_workgroup/,
      );
      expect(plan(indexRead.sql, indexRead.args)).not.toMatch(/TEMP B-TREE/);

      const dispatch = LOCAL_TABLE_SCHEMAS[LOCAL_TABLES.dispatch];
      const line = compileQuery(
        {
          TableName: LOCAL_TABLES.dispatch,
          KeyConditionExpression: '#pk = :pk AND #sk < :sk',
          ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
          ExpressionAttributeValues: { ':pk': { S: 'line#fast' }, ':sk': { S: '2026' } },
        },
        dispatch,
      );
      const lineRead = querySql(LOCAL_TABLES.dispatch, keyColumnsOf(dispatch), line, { forward: true });
      expect(plan(lineRead.sql, lineRead.args)).toMatch(
        /SEARCH documents USING INDEX documents_by_partition/,
      );
      expect(plan(lineRead.sql, lineRead.args)).not.toMatch(/TEMP B-TREE/);
    } finally {
      store.close();
    }
  });
});
