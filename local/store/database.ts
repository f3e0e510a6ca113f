import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { openSqliteFile } from '../sqlite-file';

/** A better-sqlite3 connection. */
export type Database = BetterSqlite3.Database;

/** File name of the local runtime's database inside the data dir. */
export const DATABASE_FILE = 'athena-wlm.db';

export interface DatabaseOptions {
  /**
   * `NORMAL` or `FULL`. In WAL mode both keep every committed transaction through a process kill
   * (`kill -9`): a commit has been written to the WAL file (in the OS page cache) before it returns.
   * They differ on power loss or an OS crash, where `NORMAL` may lose the last transactions (never
   * corrupting the file) because it fsyncs only at checkpoints.
   * @default 'NORMAL': the local runtime's promise is "nothing lost when the process dies", and
   *   an fsync per commit would slow every queue and ledger write for a guarantee a laptop rarely needs.
   */
  readonly synchronous?: 'NORMAL' | 'FULL';
  /**
   * How long a statement waits for another connection's write lock before failing with SQLITE_BUSY.
   * @default 5000 ms
   */
  readonly busyTimeoutMs?: number;
}

/**
 * Schema migrations, applied in order. `PRAGMA user_version` holds how many have been applied, so a
 * migration must never change once released: append a new one instead.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the queue, the DynamoDB stand-in's documents, Step Functions executions and their events, metrics.
  `
  CREATE TABLE queue_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    attributes TEXT NOT NULL DEFAULT '{}',
    sent_at INTEGER NOT NULL,
    visible_at INTEGER NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    first_received_at INTEGER,
    receipt_handle TEXT UNIQUE
  );
  CREATE INDEX queue_messages_visible ON queue_messages (queue, visible_at, seq);

  CREATE TABLE documents (
    table_name TEXT NOT NULL,
    pk TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (table_name, pk)
  ) WITHOUT ROWID;
  CREATE INDEX documents_by_submitted ON documents (table_name, json_extract(doc, '$.submittedAt'), pk);
  CREATE INDEX documents_by_workgroup ON documents
    (table_name, json_extract(doc, '$.workgroup'), json_extract(doc, '$.submittedAt'), pk);
  CREATE INDEX documents_by_status ON documents
    (table_name, json_extract(doc, '$.status'), json_extract(doc, '$.submittedAt'), pk);

  CREATE TABLE executions (
    arn TEXT PRIMARY KEY,
    state_machine_arn TEXT NOT NULL,
    name TEXT NOT NULL,
    input TEXT NOT NULL,
    status TEXT NOT NULL,
    start_date INTEGER NOT NULL,
    stop_date INTEGER,
    output TEXT,
    error TEXT,
    cause TEXT,
    runs INTEGER NOT NULL DEFAULT 1
  );
  CREATE INDEX executions_by_start ON executions (start_date, arn);
  CREATE INDEX executions_by_status ON executions (status, start_date, arn);

  CREATE TABLE execution_events (
    arn TEXT NOT NULL,
    id INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    type TEXT NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (arn, id)
  ) WITHOUT ROWID;

  CREATE TABLE metrics (
    name TEXT NOT NULL,
    dimensions TEXT NOT NULL,
    minute INTEGER NOT NULL,
    sum REAL NOT NULL,
    count INTEGER NOT NULL,
    min REAL NOT NULL,
    max REAL NOT NULL,
    PRIMARY KEY (name, dimensions, minute)
  ) WITHOUT ROWID;
  CREATE INDEX metrics_by_minute ON metrics (name, minute);
  `,
  // 2: Query on a partition in sort-key order (the dispatcher's lines, keyed per class).
  `
  CREATE INDEX documents_by_partition ON documents
    (table_name, json_extract(pk, '$[0]'), json_extract(pk, '$[1]'));
  `,
  // 3: the ledger is read through its DynamoDB index (documents_by_workgroup) only: no write keeps up
  // the indexes that SQL listing of the ledger used.
  `
  DROP INDEX documents_by_submitted;
  DROP INDEX documents_by_status;
  `,
  // 4: the class is `className` in execution inputs (beside `workgroup`, which the state machine still
  // reads) and in metric dimensions (it was `workgroup`). An execution left running runs again from its
  // stored input, and the local runtime reads its class from className.
  `
  UPDATE executions
    SET input = json_set(input, '$.className', json_extract(input, '$.workgroup'))
    WHERE status = 'RUNNING' AND json_valid(input)
      AND json_type(input, '$.workgroup') = 'text' AND json_type(input, '$.className') IS NULL;
  UPDATE metrics
    SET dimensions = json_object('className', json_extract(dimensions, '$.workgroup'))
    WHERE json_valid(dimensions) AND dimensions = json_object('workgroup', json_extract(dimensions, '$.workgroup'));
  `,
];

/** Opens (creating if needed) `<dataDir>/athena-wlm.db` in WAL mode and brings its schema up to date. */
export function openDatabase(dataDir: string, options: DatabaseOptions = {}): Database {
  mkdirSync(dataDir, { recursive: true });
  return openSqliteFile(join(dataDir, DATABASE_FILE), (db) => {
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    migrate(db);
  });
}

/** Applies the migrations the database has not seen yet, each in its own transaction. */
export function migrate(db: Database): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `The database is at schema version ${current}, newer than this athena-wlm knows (${MIGRATIONS.length}); ` +
        'upgrade athena-wlm or start with a fresh data dir.',
    );
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
  return MIGRATIONS.length;
}

/** Runs `fn` in a `BEGIN IMMEDIATE` transaction (the write lock is taken before the first read). */
export function immediate<T>(db: Database, fn: () => T): T {
  // A nested call becomes a savepoint of the outer transaction, which already holds the lock.
  return db.inTransaction ? db.transaction(fn)() : db.transaction(fn).immediate();
}
