import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { LocalDynamoDb, type QueryParams } from '../../../local/dynamodb/local-dynamodb';
import { tempDatabase } from '../store/temp-db';

describe('LocalDynamoDb.querySync', () => {
  let store: ReturnType<typeof tempDatabase>;
  let dynamodb: LocalDynamoDb;
  const tables = {
    lines: { partitionKey: 'pk', sortKey: 'sk' },
    numbered: { partitionKey: 'pk', sortKey: 'n' },
    ledger: { partitionKey: 'queryId' },
  };

  beforeEach(() => {
    store = tempDatabase();
    dynamodb = new LocalDynamoDb(store.db, tables);
  });
  afterEach(() => store.close());

  const put = (pk: string, sk: string, extra: Record<string, AttributeValue> = {}) =>
    dynamodb.putItemSync({ TableName: 'lines', Item: { pk: { S: pk }, sk: { S: sk }, ...extra } });
  const partition = (pk: string, more: Partial<QueryParams> = {}): QueryParams => ({
    TableName: 'lines',
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': 'pk' },
    ExpressionAttributeValues: { ':pk': { S: pk } },
    ...more,
  });
  const sortKeys = (params: QueryParams) => (dynamodb.querySync(params).Items ?? []).map((i) => i.sk.S);

  it('returns the items of one partition only, in sort-key order whatever the order they were written in', () => {
    for (const sk of [
      '2026-01-01T00:00:03.000Z#c',
      '2026-01-01T00:00:01.000Z#b',
      '2026-01-01T00:00:01.000Z#a',
    ])
      put('line#fast', sk);
    put('line#long', '2025-01-01T00:00:00.000Z#z');
    put('line#fastest', '2000-01-01T00:00:00.000Z#y');

    const result = dynamodb.querySync(partition('line#fast'));

    expect(result.Items?.map((i) => i.sk.S)).toEqual([
      '2026-01-01T00:00:01.000Z#a',
      '2026-01-01T00:00:01.000Z#b',
      '2026-01-01T00:00:03.000Z#c',
    ]);
    expect(result.Count).toBe(3);
    expect(result.LastEvaluatedKey).toBeUndefined();
    expect(result.Items?.[0]).toEqual({ pk: { S: 'line#fast' }, sk: { S: '2026-01-01T00:00:01.000Z#a' } });
  });

  it('orders string sort keys by their UTF-8 bytes, as DynamoDB does, and number sort keys by value', () => {
    // DynamoDB compares strings by the bytes of their UTF-8 encoding (Developer Guide, "Comparison
    // operator and function reference"): 'B' < 'a', '10' < '9', U+FFFD (EF BF BD) < U+1F600 (F0 ...),
    // although U+1F600's first UTF-16 code unit (D83D) is below U+FFFD.
    for (const sk of ['a', '9', '\u{1F600}', 'B', '10', '\uFFFD']) put('p', sk);
    expect(sortKeys(partition('p'))).toEqual(['10', '9', 'B', 'a', '\uFFFD', '\u{1F600}']);

    for (const n of [10, 9, -1, 2.5]) {
      dynamodb.putItemSync({ TableName: 'numbered', Item: { pk: { S: 'p' }, n: { N: String(n) } } });
    }
    const numbers = dynamodb.querySync({ ...partition('p'), TableName: 'numbered' });
    expect(numbers.Items?.map((i) => i.n.N)).toEqual(['-1', '2.5', '9', '10']);
  });

  it('reads backwards with ScanIndexForward false', () => {
    for (const sk of ['a', 'c', 'b']) put('p', sk);
    expect(sortKeys(partition('p', { ScanIndexForward: false }))).toEqual(['c', 'b', 'a']);
  });

  it('applies a condition on the sort key: less than, begins_with, BETWEEN', () => {
    for (const sk of ['2026-01#a', '2026-02#b', '2026-03#c', '2027-01#d']) put('p', sk);
    const withSort = (condition: string, values: Record<string, AttributeValue>) =>
      sortKeys({
        TableName: 'lines',
        KeyConditionExpression: `#pk = :pk AND ${condition}`,
        ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
        ExpressionAttributeValues: { ':pk': { S: 'p' }, ...values },
      });
    expect(withSort('#sk < :sk', { ':sk': { S: '2026-03#c' } })).toEqual(['2026-01#a', '2026-02#b']);
    expect(withSort('begins_with(#sk, :prefix)', { ':prefix': { S: '2026-' } })).toEqual([
      '2026-01#a',
      '2026-02#b',
      '2026-03#c',
    ]);
    expect(withSort('#sk BETWEEN :lo AND :hi', { ':lo': { S: '2026-02' }, ':hi': { S: '2026-12' } })).toEqual(
      ['2026-02#b', '2026-03#c'],
    );
  });

  it('pages with Limit: a full page says where it stopped, and the next page starts after that key', () => {
    for (const sk of ['e', 'a', 'd', 'b', 'c']) put('p', sk);

    const first = dynamodb.querySync(partition('p', { Limit: 2 }));
    expect(first.Items?.map((i) => i.sk.S)).toEqual(['a', 'b']);
    expect(first.LastEvaluatedKey).toEqual({ pk: { S: 'p' }, sk: { S: 'b' } });

    const second = dynamodb.querySync(
      partition('p', { Limit: 2, ExclusiveStartKey: first.LastEvaluatedKey }),
    );
    expect(second.Items?.map((i) => i.sk.S)).toEqual(['c', 'd']);

    const third = dynamodb.querySync(
      partition('p', { Limit: 2, ExclusiveStartKey: second.LastEvaluatedKey }),
    );
    expect(third.Items?.map((i) => i.sk.S)).toEqual(['e']);
    expect(third.LastEvaluatedKey).toBeUndefined();
  });

  it('says where it stopped when a page is exactly full, as DynamoDB does, and then reads an empty page', () => {
    for (const sk of ['a', 'b']) put('p', sk);
    const first = dynamodb.querySync(partition('p', { Limit: 2 }));
    expect(first.LastEvaluatedKey).toEqual({ pk: { S: 'p' }, sk: { S: 'b' } });
    const next = dynamodb.querySync(partition('p', { Limit: 2, ExclusiveStartKey: first.LastEvaluatedKey }));
    expect(next).toEqual({ Items: [], Count: 0, ScannedCount: 0 });
  });

  it('pages backwards from the exclusive start key', () => {
    for (const sk of ['a', 'b', 'c', 'd']) put('p', sk);
    const first = dynamodb.querySync(partition('p', { Limit: 3, ScanIndexForward: false }));
    expect(first.Items?.map((i) => i.sk.S)).toEqual(['d', 'c', 'b']);
    const rest = dynamodb.querySync(
      partition('p', { Limit: 3, ScanIndexForward: false, ExclusiveStartKey: first.LastEvaluatedKey }),
    );
    expect(rest.Items?.map((i) => i.sk.S)).toEqual(['a']);
  });

  it('counts without returning items with Select COUNT, at most Limit', () => {
    for (const sk of ['a', 'b', 'c', 'd']) put('p', sk, { big: { S: 'x'.repeat(1000) } });
    expect(dynamodb.querySync(partition('p', { Select: 'COUNT' }))).toEqual({ Count: 4, ScannedCount: 4 });
    const capped = dynamodb.querySync(partition('p', { Select: 'COUNT', Limit: 3 }));
    expect(capped).toEqual({
      Count: 3,
      ScannedCount: 3,
      LastEvaluatedKey: { pk: { S: 'p' }, sk: { S: 'c' } },
    });
    const ahead = dynamodb.querySync({
      TableName: 'lines',
      KeyConditionExpression: '#pk = :pk AND #sk < :sk',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: { ':pk': { S: 'p' }, ':sk': { S: 'c' } },
      Select: 'COUNT',
    });
    expect(ahead.Count).toBe(2);
  });

  it('answers an empty partition with no items and a count of 0', () => {
    expect(dynamodb.querySync(partition('nobody'))).toEqual({ Items: [], Count: 0, ScannedCount: 0 });
  });

  it('refuses a key condition without the partition key, and an unknown table, with DynamoDB’s error names', () => {
    put('p', 'a');
    expect(() =>
      dynamodb.querySync({
        TableName: 'lines',
        KeyConditionExpression: '#sk = :sk',
        ExpressionAttributeNames: { '#sk': 'sk' },
        ExpressionAttributeValues: { ':sk': { S: 'a' } },
      }),
    ).toThrow(
      expect.objectContaining({
        name: 'DynamoDB.ValidationException',
        message: expect.stringContaining('pk'),
      }),
    );
    expect(() => dynamodb.querySync({ ...partition('p'), TableName: 'nope' })).toThrow(
      expect.objectContaining({ name: 'DynamoDB.ResourceNotFoundException' }),
    );
  });

  it('reads a partition written before the database was reopened, with what is written after', async () => {
    put('p', 'a');
    const other = new LocalDynamoDb(store.reopen(), tables);
    other.putItemSync({ TableName: 'lines', Item: { pk: { S: 'p' }, sk: { S: 'b' } } });
    expect((await other.query(partition('p'))).Items?.map((i) => i.sk.S)).toEqual(['a', 'b']);
  });
});
