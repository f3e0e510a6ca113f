import { LocalDynamoDb } from '../../../local/dynamodb/local-dynamodb';
import { tempDatabase } from '../store/temp-db';

describe('LocalDynamoDb', () => {
  let store: ReturnType<typeof tempDatabase>;
  let dynamodb: LocalDynamoDb;
  const tables = { ledger: { partitionKey: 'queryId' }, pairs: { partitionKey: 'pk', sortKey: 'sk' } };

  beforeEach(() => {
    store = tempDatabase();
    dynamodb = new LocalDynamoDb(store.db, tables);
  });
  afterEach(() => store.close());

  const ledgerItem = (db: LocalDynamoDb, queryId: string) =>
    db.getItemDocumentSync({ TableName: 'ledger', Key: { queryId: { S: queryId } } });
  /** Every stored item of a table, in key order. */
  const scan = (table: string) =>
    store.db
      .prepare<[string], { doc: string }>('SELECT doc FROM documents WHERE table_name = ? ORDER BY pk')
      .all(table)
      .map((row) => JSON.parse(row.doc) as Record<string, unknown>);

  it('creates the item on an unconditional UpdateItem and returns what was asked for', async () => {
    const out = await dynamodb.updateItem({
      TableName: 'ledger',
      Key: { queryId: { S: 'q1' } },
      UpdateExpression: 'SET #s = :s, attempts = :n',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': { S: 'QUEUED' }, ':n': { N: '1' } },
      ReturnValues: 'ALL_NEW',
    });
    expect(out.Attributes).toEqual({ queryId: { S: 'q1' }, status: { S: 'QUEUED' }, attempts: { N: '1' } });
    expect(await dynamodb.getItem({ TableName: 'ledger', Key: { queryId: { S: 'q1' } } })).toEqual({
      Item: out.Attributes,
    });
    expect(ledgerItem(dynamodb, 'q1')).toEqual({
      queryId: 'q1',
      status: 'QUEUED',
      attempts: 1,
    });
  });

  it('writes nothing when the condition fails, and names the error as Step Functions does', async () => {
    await dynamodb.putItem({
      TableName: 'ledger',
      Item: { queryId: { S: 'q1' }, status: { S: 'CANCELLED' } },
    });
    const attempt = dynamodb.updateItem({
      TableName: 'ledger',
      Key: { queryId: { S: 'q1' } },
      UpdateExpression: 'SET #s = :running',
      ConditionExpression: '#s = :queued',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':running': { S: 'RUNNING' }, ':queued': { S: 'QUEUED' } },
    });
    await expect(attempt).rejects.toMatchObject({
      name: 'DynamoDB.ConditionalCheckFailedException',
      message: 'The conditional request failed',
    });
    expect(ledgerItem(dynamodb, 'q1')?.status).toBe('CANCELLED');
  });

  it('puts an item only if absent with attribute_not_exists, and returns the old item on request', async () => {
    const put = (status: string) =>
      dynamodb.putItem({
        TableName: 'ledger',
        Item: { queryId: { S: 'q1' }, status: { S: status } },
        ConditionExpression: 'attribute_not_exists(queryId)',
      });
    await put('QUEUED');
    await expect(put('RUNNING')).rejects.toMatchObject({ name: 'DynamoDB.ConditionalCheckFailedException' });
    const replaced = await dynamodb.putItem({
      TableName: 'ledger',
      Item: { queryId: { S: 'q1' }, status: { S: 'FAILED' } },
      ReturnValues: 'ALL_OLD',
    });
    expect(replaced.Attributes).toEqual({ queryId: { S: 'q1' }, status: { S: 'QUEUED' } });
  });

  it('keys items by partition and sort key', async () => {
    await dynamodb.putItem({ TableName: 'pairs', Item: { pk: { S: 'a' }, sk: { N: '1' }, v: { S: 'one' } } });
    await dynamodb.putItem({ TableName: 'pairs', Item: { pk: { S: 'a' }, sk: { N: '2' }, v: { S: 'two' } } });
    expect(scan('pairs').map((d) => d.v)).toEqual(['one', 'two']);
    await dynamodb.deleteItem({ TableName: 'pairs', Key: { pk: { S: 'a' }, sk: { N: '1' } } });
    expect(scan('pairs').map((d) => d.v)).toEqual(['two']);
  });

  it.each([
    [
      {
        TableName: 'nope',
        Key: { queryId: { S: 'q' } },
        UpdateExpression: 'SET a = :a',
        ExpressionAttributeValues: { ':a': { S: 'x' } },
      },
      'DynamoDB.ResourceNotFoundException',
      /nope/,
    ],
    [
      {
        TableName: 'ledger',
        Key: { id: { S: 'q' } },
        UpdateExpression: 'SET a = :a',
        ExpressionAttributeValues: { ':a': { S: 'x' } },
      },
      'DynamoDB.ValidationException',
      /key element does not match the schema/,
    ],
    [
      {
        TableName: 'ledger',
        Key: { queryId: { S: '' } },
        UpdateExpression: 'SET a = :a',
        ExpressionAttributeValues: { ':a': { S: 'x' } },
      },
      'DynamoDB.ValidationException',
      /empty string/,
    ],
    [
      {
        TableName: 'ledger',
        Key: { queryId: { S: 'q' } },
        UpdateExpression: 'SET queryId = :a',
        ExpressionAttributeValues: { ':a': { S: 'x' } },
      },
      'DynamoDB.ValidationException',
      /Cannot update attribute queryId/,
    ],
    [
      {
        TableName: 'ledger',
        Key: { queryId: { S: 'q' } },
        UpdateExpression: 'SET a = :a',
        ExpressionAttributeValues: { ':a': { S: 'x'.repeat(410_000) } },
      },
      'DynamoDB.ValidationException',
      /Item size has exceeded/,
    ],
  ])('rejects a bad request %#', async (params, name, message) => {
    await expect(dynamodb.updateItem(params)).rejects.toMatchObject({
      name,
      message: expect.stringMatching(message),
    });
    expect(scan('ledger')).toEqual([]);
  });

  it('keeps items when the database is reopened', async () => {
    await dynamodb.putItem({ TableName: 'ledger', Item: { queryId: { S: 'q1' }, n: { N: '7' } } });
    const reopened = new LocalDynamoDb(store.reopen(), tables);
    expect(ledgerItem(reopened, 'q1')).toEqual({ queryId: 'q1', n: 7 });
  });
});
