import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../../../functions/adapters/aws/dynamodb-ledger';
import { LocalDocumentClient } from '../../../local/dynamodb/local-document-client';
import { LocalDynamoDb } from '../../../local/dynamodb/local-dynamodb';
import { tempDatabase } from '../store/temp-db';

describe('LocalDocumentClient', () => {
  let store: ReturnType<typeof tempDatabase>;
  let dynamodb: LocalDynamoDb;
  let client: LocalDocumentClient;

  beforeEach(() => {
    store = tempDatabase();
    dynamodb = new LocalDynamoDb(store.db, {
      t: { partitionKey: 'pk', sortKey: 'sk' },
      one: { partitionKey: 'id' },
    });
    client = new LocalDocumentClient(dynamodb);
  });
  afterEach(() => store.close());

  const put = (sk: string, item: Record<string, unknown> = {}) =>
    client.send(new PutCommand({ TableName: 't', Item: { pk: 'p', sk, ...item } }));
  const query = (input: Partial<ConstructorParameters<typeof QueryCommand>[0]> = {}) =>
    client.send(
      new QueryCommand({
        TableName: 't',
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': 'pk' },
        ExpressionAttributeValues: { ':pk': 'p' },
        ...input,
      }),
    );

  it('puts, gets, updates and deletes plain JavaScript values as the DocumentClient marshals them', async () => {
    await put('a', { n: 7, list: [1, 'two'], nested: { ok: true }, gone: undefined });
    // Stored as DynamoDB would store it: numbers as N, undefined removed.
    expect(dynamodb.getItemSync({ TableName: 't', Key: { pk: { S: 'p' }, sk: { S: 'a' } } }).Item).toEqual({
      pk: { S: 'p' },
      sk: { S: 'a' },
      n: { N: '7' },
      list: { L: [{ N: '1' }, { S: 'two' }] },
      nested: { M: { ok: { BOOL: true } } },
    });
    expect(await client.send(new GetCommand({ TableName: 't', Key: { pk: 'p', sk: 'a' } }))).toEqual({
      Item: { pk: 'p', sk: 'a', n: 7, list: [1, 'two'], nested: { ok: true } },
    });
    const updated = await client.send(
      new UpdateCommand({
        TableName: 't',
        Key: { pk: 'p', sk: 'a' },
        UpdateExpression: 'SET n = n + :one',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    expect(updated.Attributes).toMatchObject({ n: 8 });
    const deleted = await client.send(
      new DeleteCommand({ TableName: 't', Key: { pk: 'p', sk: 'a' }, ReturnValues: 'ALL_OLD' }),
    );
    expect(deleted.Attributes).toMatchObject({ sk: 'a', n: 8 });
    expect(await client.send(new GetCommand({ TableName: 't', Key: { pk: 'p', sk: 'a' } }))).toEqual({
      Item: undefined,
    });
    // Deleting what is not there is not an error, and returns nothing.
    const again = await client.send(
      new DeleteCommand({ TableName: 't', Key: { pk: 'p', sk: 'a' }, ReturnValues: 'ALL_OLD' }),
    );
    expect(again.Attributes).toBeUndefined();
  });

  it('fails a conditional delete with ConditionalCheckFailedException, as the SDK names it, and keeps the item', async () => {
    await put('held', { executionArn: 'arn:new' });
    const attempt = client.send(
      new DeleteCommand({
        TableName: 't',
        Key: { pk: 'p', sk: 'held' },
        ConditionExpression: 'attribute_exists(#sk) AND #arn = :arn',
        ExpressionAttributeNames: { '#sk': 'sk', '#arn': 'executionArn' },
        ExpressionAttributeValues: { ':arn': 'arn:old' },
      }),
    );
    const error = await attempt.catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'ConditionalCheckFailedException',
      message: 'The conditional request failed',
    });
    // The adapters' own test of the SDK error passes on it.
    expect(isConditionalCheckFailed(error)).toBe(true);
    expect(
      (await client.send(new GetCommand({ TableName: 't', Key: { pk: 'p', sk: 'held' } }))).Item,
    ).toBeDefined();
    // A delete whose condition holds goes through.
    await client.send(
      new DeleteCommand({
        TableName: 't',
        Key: { pk: 'p', sk: 'held' },
        ConditionExpression: '#arn = :arn',
        ExpressionAttributeNames: { '#arn': 'executionArn' },
        ExpressionAttributeValues: { ':arn': 'arn:new' },
      }),
    );
    expect(
      (await client.send(new GetCommand({ TableName: 't', Key: { pk: 'p', sk: 'held' } }))).Item,
    ).toBeUndefined();
  });

  it('fails a conditional put and update the same way', async () => {
    const create = () =>
      client.send(
        new PutCommand({
          TableName: 'one',
          Item: { id: 'q1', status: 'QUEUED' },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      );
    await create();
    await expect(create()).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    await expect(
      client.send(
        new UpdateCommand({
          TableName: 'one',
          Key: { id: 'q1' },
          UpdateExpression: 'SET #s = :running',
          ConditionExpression: '#s = :waiting',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':running': 'RUNNING', ':waiting': 'WAITING_FOR_SLOT' },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    const { Item } = await client.send(new GetCommand({ TableName: 'one', Key: { id: 'q1' } }));
    expect(Item).toMatchObject({ status: 'QUEUED' });
  });

  it('names other DynamoDB errors as the SDK does (no DynamoDB. prefix)', async () => {
    await expect(client.send(new GetCommand({ TableName: 'nope', Key: { id: 'x' } }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(
      client.send(new PutCommand({ TableName: 'one', Item: { other: 'x' } })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  it('queries a partition in sort-key order and pages with Limit and plain-value keys', async () => {
    for (const sk of ['c', 'a', 'd', 'b']) await put(sk, { v: sk.toUpperCase() });
    const first = await query({ Limit: 3 });
    expect(first).toEqual({
      Items: ['a', 'b', 'c'].map((sk) => ({ pk: 'p', sk, v: sk.toUpperCase() })),
      Count: 3,
      ScannedCount: 3,
      LastEvaluatedKey: { pk: 'p', sk: 'c' },
    });
    const rest = await query({
      Limit: 3,
      ExclusiveStartKey: first.LastEvaluatedKey as Record<string, unknown>,
    });
    expect(rest).toEqual({ Items: [{ pk: 'p', sk: 'd', v: 'D' }], Count: 1, ScannedCount: 1 });
    expect(((await query({ ScanIndexForward: false })).Items as { sk: string }[]).map((i) => i.sk)).toEqual([
      'd',
      'c',
      'b',
      'a',
    ]);
  });

  it('counts with Select COUNT and returns no Items', async () => {
    for (const sk of ['a', 'b', 'c']) await put(sk);
    const counted = await query({
      KeyConditionExpression: '#pk = :pk AND #sk < :sk',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: { ':pk': 'p', ':sk': 'c' },
      Select: 'COUNT',
    });
    expect(counted).toEqual({ Count: 2, ScannedCount: 2 });
    expect(await query({ Select: 'COUNT', Limit: 1 })).toEqual({
      Count: 1,
      ScannedCount: 1,
      LastEvaluatedKey: { pk: 'p', sk: 'a' },
    });
  });

  it('refuses what it does not serve, saying so, rather than answering wrongly', async () => {
    await expect(client.send(new ScanCommand({ TableName: 't' }))).rejects.toThrow(
      /does not serve ScanCommand/,
    );
  });
});
