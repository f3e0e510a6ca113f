import { join } from 'node:path';
import { DynamoDbLedger } from '../../../functions/adapters/aws/dynamodb-ledger';
import { LocalDocumentClient } from '../../../local/dynamodb/local-document-client';
import { LocalDynamoDb } from '../../../local/dynamodb/local-dynamodb';
import { openSqliteFile } from '../../../local/sqlite-file';
import { DATABASE_FILE, MIGRATIONS, openDatabase } from '../../../local/store/database';
import { LOCAL_TABLE_SCHEMAS, LOCAL_TABLES } from '../../../local/store/local-names';
import { SqliteQueue } from '../../../local/store/sqlite-queue';
import { tempDataDir } from './temp-db';

/** The data dir's database as schema version `version` left it (its first migrations only). */
function databaseAtVersion(dir: string, version: number) {
  return openSqliteFile(join(dir, DATABASE_FILE), (db) => {
    for (const [at, sql] of MIGRATIONS.slice(0, version).entries()) {
      db.exec(sql);
      db.pragma(`user_version = ${at + 1}`);
    }
  });
}

describe('the local database across versions', () => {
  it('opens a data dir of schema version 2 (when SQL listed the ledger) and serves its records through the ledger adapter', async () => {
    const { dir, cleanup } = tempDataDir();
    try {
      // Prepare: a database as version 2 left it, with two ledger records and a queued message.
      const old = databaseAtVersion(dir, 2);
      const doc = (queryId: string, submittedAt: string, status: string) =>
        JSON.stringify({
          queryId,
          workgroup: 'fast',
          query: 'SELECT 1',
          database: 'default',
          catalog: 'AwsDataCatalog',
          submittedAt,
          status,
          attempts: 0,
          redrives: 0,
          updatedAt: submittedAt,
        });
      const insert = old.prepare('INSERT INTO documents (table_name, pk, doc) VALUES (?, ?, ?)');
      insert.run(LOCAL_TABLES.ledger, '["old-1"]', doc('old-1', '2026-01-01T00:00:01.000Z', 'SUCCEEDED'));
      insert.run(LOCAL_TABLES.ledger, '["old-2"]', doc('old-2', '2026-01-01T00:00:02.000Z', 'QUEUED'));
      new SqliteQueue(old, { name: 'queries' }).send('{"queryId":"old-2"}');
      old.close();

      // Act
      const db = openDatabase(dir);
      const client = new LocalDocumentClient(new LocalDynamoDb(db, LOCAL_TABLE_SCHEMAS));
      const ledger = new DynamoDbLedger(client.asDocumentClient(), {
        tableName: LOCAL_TABLES.ledger,
        classes: ['fast'],
      });

      // Assess
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      const indexes = db
        .prepare<[], { name: string }>(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'documents'",
        )
        .all()
        .map((row) => row.name);
      expect(indexes).toEqual(expect.arrayContaining(['documents_by_workgroup', 'documents_by_partition']));
      expect(indexes).not.toContain('documents_by_status');
      expect((await ledger.list({ limit: 10 })).items.map((r) => r.queryId)).toEqual(['old-2', 'old-1']);
      expect(await ledger.countByStatus('fast', ['QUEUED'], '')).toEqual({ QUEUED: 1 });
      expect(await ledger.get('old-1')).toMatchObject({ status: 'SUCCEEDED', className: 'fast' });
      expect(new SqliteQueue(db, { name: 'queries' }).depth()).toBe(1);
      db.close();
    } finally {
      cleanup();
    }
  });

  it('renames the class of executions left running and of stored metrics to className (version 3 to 4)', () => {
    const { dir, cleanup } = tempDataDir();
    try {
      // Prepare: version 3, with executions and metrics written when the class was called workgroup.
      const old = databaseAtVersion(dir, 3);
      const execution = old.prepare<[string, string, string, string]>(
        "INSERT INTO executions (arn, state_machine_arn, name, input, status, start_date) VALUES (?, 'sm', ?, ?, ?, 0)",
      );
      const input = JSON.stringify({ queryId: 'q', workgroup: 'fast', attempt: 1 });
      execution.run('running', 'q', input, 'RUNNING');
      execution.run('ended', 'q0', input, 'SUCCEEDED');
      const metric = old.prepare<[string]>(
        "INSERT INTO metrics (name, dimensions, minute, sum, count, min, max) VALUES ('QueueWaitTime', ?, 1, 5, 1, 5, 5)",
      );
      metric.run('{"workgroup":"fast"}');
      metric.run('{}');
      old.close();

      // Act
      const db = openDatabase(dir);

      // Assess: the running execution will run again from an input the state machine reads.
      const inputOf = (arn: string) =>
        JSON.parse(
          db.prepare<[string], { input: string }>('SELECT input FROM executions WHERE arn = ?').get(arn)!
            .input,
        );
      expect(inputOf('running')).toEqual({ queryId: 'q', className: 'fast', workgroup: 'fast', attempt: 1 });
      expect(inputOf('ended')).toEqual({ queryId: 'q', workgroup: 'fast', attempt: 1 });
      const dimensions = db
        .prepare<[], { dimensions: string }>('SELECT dimensions FROM metrics ORDER BY dimensions')
        .all()
        .map((row) => row.dimensions);
      expect(dimensions).toEqual(['{"className":"fast"}', '{}']);
      db.close();
    } finally {
      cleanup();
    }
  });
});
