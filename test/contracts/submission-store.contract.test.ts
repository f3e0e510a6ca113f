import type { QueryMessageInput } from '../../contracts/submission';
import { DynamoDbLedger } from '../../functions/adapters/aws/dynamodb-ledger';
import { toLedgerItem } from '../../functions/adapters/ledger-item';
import type { SubmissionStore } from '../../functions/core/ports';
import type { QueryRecord } from '../../functions/core/query-record';
import { LocalDocumentClient } from '../../local/dynamodb/local-document-client';
import { LocalDynamoDb } from '../../local/dynamodb/local-dynamodb';
import { LOCAL_TABLE_SCHEMAS, LOCAL_TABLES } from '../../local/store/local-names';
import { LocalSubmissions } from '../../local/store/local-submissions';
import { SqliteQueue } from '../../local/store/sqlite-queue';
import { tempDatabase } from '../local/store/temp-db';

/**
 * The SubmissionStore port's contract, on its one implementation: the local edge, which writes the
 * ledger adapter's record and the `queries` message in one SQLite transaction. (On AWS, API Gateway
 * sends the message straight to SQS and the starter creates the record: there is no store.)
 */

function record(queryId: string, query = 'SELECT 1'): QueryRecord {
  return {
    queryId,
    className: 'fast',
    query,
    database: 'default',
    catalog: 'AwsDataCatalog',
    submittedAt: '2026-01-01T00:00:00.000Z',
    status: 'QUEUED',
    attempts: 0,
    redrives: 0,
    updatedAt: '2026-01-01T00:00:00.000Z',
    submittedBy: 'alice',
  };
}

const message = (queryId: string, query = 'SELECT 1'): QueryMessageInput => ({
  className: 'fast',
  queryId,
  submittedAt: Date.parse('2026-01-01T00:00:00.000Z'),
  submittedBy: 'alice',
  body: { query },
});

describe('SubmissionStore contract: the local edge (ledger adapter and queue in one SQLite transaction)', () => {
  let database: ReturnType<typeof tempDatabase>;
  let ledger: DynamoDbLedger;
  let queue: SqliteQueue;
  let store: SubmissionStore;
  let admitted: number;

  beforeEach(() => {
    database = tempDatabase();
    const client = new LocalDocumentClient(new LocalDynamoDb(database.db, LOCAL_TABLE_SCHEMAS));
    ledger = new DynamoDbLedger(client.asDocumentClient(), {
      tableName: LOCAL_TABLES.ledger,
      classes: ['fast'],
    });
    queue = new SqliteQueue(database.db, { name: 'queries' });
    admitted = 0;
    store = new LocalSubmissions({
      db: database.db,
      client,
      ledger,
      queries: queue,
      onAdmitted: () => admitted++,
    });
  });
  afterEach(() => database.close());

  it('stores a new submission’s record and queues its message', async () => {
    expect(await store.admit(record('q1'), message('q1'))).toEqual({ created: true, record: record('q1') });
    expect(await ledger.get('q1')).toEqual(record('q1'));
    expect(queue.receive(10).map((m) => JSON.parse(m.body))).toEqual([message('q1')]);
    expect(admitted).toBe(1);
  });

  it('answers a used queryId with the stored record and writes nothing, whatever the new submission says', async () => {
    await store.admit(record('q1'), message('q1'));
    expect(await store.admit(record('q1', 'SELECT 2'), message('q1', 'SELECT 2'))).toEqual({
      created: false,
      record: record('q1'),
    });
    expect(queue.depth()).toBe(1);
    expect(admitted).toBe(1);
  });

  it('stores both or neither: a message that cannot be queued leaves no record', async () => {
    queue.send = () => {
      throw new Error('disk I/O error');
    };
    await expect(store.admit(record('q1'), message('q1'))).rejects.toThrow('disk I/O error');
    expect(await ledger.get('q1')).toBeUndefined();
    expect(admitted).toBe(0);
  });

  it('keeps what it stored through a crash (another connection to the file sees both)', async () => {
    await store.admit(record('q1'), message('q1'));
    const other = new LocalDynamoDb(database.reopen(), LOCAL_TABLE_SCHEMAS);
    expect(
      other.getItemDocumentSync({ TableName: LOCAL_TABLES.ledger, Key: { queryId: { S: 'q1' } } }),
    ).toEqual(toLedgerItem(record('q1')));
    expect(new SqliteQueue(database.db, { name: 'queries' }).depth()).toBe(1);
  });
});
