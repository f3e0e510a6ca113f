import { InvalidPageTokenError } from '../../../functions/core/ports';
import type { QueryRecord } from '../../../functions/core/query-record';
import { LocalDynamoDb } from '../../../local/dynamodb/local-dynamodb';
import { LocalLedger } from '../../../local/store/local-ledger';
import { LOCAL_TABLE_SCHEMAS, LOCAL_TABLES } from '../../../local/store/local-names';
import { manualClock, tempDatabase } from './temp-db';

function record(queryId: string, overrides: Partial<QueryRecord> = {}): QueryRecord {
  return {
    queryId,
    workgroup: 'fast',
    query: 'SELECT 1',
    database: 'default',
    catalog: 'AwsDataCatalog',
    submittedAt: '2026-01-01T00:00:00.000Z',
    status: 'QUEUED',
    attempts: 0,
    redrives: 0,
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

describe('LocalLedger', () => {
  let store: ReturnType<typeof tempDatabase>;
  let dynamodb: LocalDynamoDb;
  let ledger: LocalLedger;
  const clock = manualClock(Date.parse('2026-02-01T00:00:00.000Z'));

  beforeEach(() => {
    store = tempDatabase();
    dynamodb = new LocalDynamoDb(store.db, LOCAL_TABLE_SCHEMAS);
    ledger = new LocalLedger(dynamodb, { clock });
  });
  afterEach(() => store.close());

  it('creates a record once and returns the stored one after', async () => {
    const first = record('q1', {
      userId: 'ana',
      error: { code: 'X', message: 'y' },
      executionParameters: ['1'],
    });
    expect(await ledger.create(first)).toEqual({ created: true, record: first });
    expect(await ledger.create(record('q1', { query: 'SELECT 2' }))).toEqual({
      created: false,
      record: first,
    });
    expect(await ledger.get('q1')).toEqual(first);
    expect(await ledger.get('nope')).toBeUndefined();
  });

  it('patches a record, sets updatedAt, and honours onlyIf', async () => {
    await ledger.create(record('q1'));
    expect(
      await ledger.update('q1', { status: 'WAITING_FOR_SLOT', reason: 'full', updatedAt: 'ignored' }, [
        'QUEUED',
      ]),
    ).toBe(true);
    expect(await ledger.get('q1')).toMatchObject({
      status: 'WAITING_FOR_SLOT',
      reason: 'full',
      updatedAt: clock().toISOString(),
    });
    expect(await ledger.update('q1', { status: 'RUNNING' }, ['QUEUED'])).toBe(false);
    expect(await ledger.update('q1', { status: 'CANCELLED' }, [])).toBe(false);
    expect(await ledger.update('missing', { status: 'FAILED' })).toBe(false);
    expect((await ledger.get('q1'))?.status).toBe('WAITING_FOR_SLOT');
  });

  it('sees the writes of the state machine (the same table item)', async () => {
    await ledger.create(record('q1'));
    await dynamodb.updateItem({
      TableName: LOCAL_TABLES.ledger,
      Key: { queryId: { S: 'q1' } },
      UpdateExpression: 'SET #status = :running, #executionArn = :arn',
      ConditionExpression: '#status IN (:queued, :waiting)',
      ExpressionAttributeNames: { '#status': 'status', '#executionArn': 'executionArn' },
      ExpressionAttributeValues: {
        ':running': { S: 'RUNNING' },
        ':arn': { S: 'arn:x' },
        ':queued': { S: 'QUEUED' },
        ':waiting': { S: 'WAITING_FOR_SLOT' },
      },
    });
    expect(await ledger.get('q1')).toMatchObject({ status: 'RUNNING', executionArn: 'arn:x' });
  });

  it('lists newest first with filters and opaque page tokens', async () => {
    for (let i = 0; i < 7; i++) {
      await ledger.create(
        record(`q${i}`, {
          submittedAt: `2026-01-01T00:00:0${i % 3}.000Z`,
          workgroup: i % 2 === 0 ? 'fast' : 'long',
          status: i < 4 ? 'SUCCEEDED' : 'QUEUED',
          userId: i === 6 ? 'ana' : 'bo',
        }),
      );
    }
    const pages: string[][] = [];
    let nextToken: string | undefined;
    do {
      const page = await ledger.list({ limit: 3, nextToken });
      pages.push(page.items.map((r) => r.queryId));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(pages).toEqual([['q5', 'q2', 'q4'], ['q1', 'q6', 'q3'], ['q0']]);

    expect((await ledger.list({ limit: 10, workgroup: 'fast' })).items.map((r) => r.queryId)).toEqual([
      'q2',
      'q4',
      'q6',
      'q0',
    ]);
    expect(
      (await ledger.list({ limit: 10, status: 'QUEUED', workgroup: 'long' })).items.map((r) => r.queryId),
    ).toEqual(['q5']);
    expect((await ledger.list({ limit: 10, userId: 'ana' })).items.map((r) => r.queryId)).toEqual(['q6']);

    const first = await ledger.list({ limit: 1, workgroup: 'fast' });
    await expect(ledger.list({ limit: 1, workgroup: 'long', nextToken: first.nextToken })).rejects.toThrow(
      InvalidPageTokenError,
    );
    await expect(ledger.list({ limit: 1, nextToken: 'garbage' })).rejects.toThrow(InvalidPageTokenError);
  });

  it('lists through the expression indexes, not a scan of the table', () => {
    const plan = (where: string) =>
      store.db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT pk, doc FROM documents WHERE table_name = ? ${where}
           ORDER BY json_extract(doc, '$.submittedAt') DESC, pk DESC LIMIT 10`,
        )
        .all('t')
        .map((row) => (row as { detail: string }).detail)
        .join('; ');
    expect(plan('')).toMatch(/USING INDEX documents_by_submitted/);
    expect(plan(`AND json_extract(doc, '$.workgroup') = 'fast'`)).toMatch(
      /USING INDEX documents_by_workgroup/,
    );
    expect(plan(`AND json_extract(doc, '$.status') = 'QUEUED'`)).toMatch(/USING INDEX documents_by_status/);
  });

  it('counts a class by status since a time', async () => {
    await ledger.create(record('a', { status: 'SUCCEEDED', submittedAt: '2026-01-01T00:00:00.000Z' }));
    await ledger.create(record('b', { status: 'SUCCEEDED', submittedAt: '2026-01-02T00:00:00.000Z' }));
    await ledger.create(record('c', { status: 'FAILED', submittedAt: '2026-01-02T00:00:00.000Z' }));
    await ledger.create(
      record('d', { status: 'FAILED', workgroup: 'long', submittedAt: '2026-01-02T00:00:00.000Z' }),
    );
    expect(await ledger.countByStatus('fast')).toEqual({ SUCCEEDED: 2, FAILED: 1 });
    expect(await ledger.countByStatus('fast', ['SUCCEEDED', 'RUNNING'], '2026-01-02T00:00:00.000Z')).toEqual({
      SUCCEEDED: 1,
    });
  });
});
