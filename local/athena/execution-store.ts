/**
 * Query executions, persisted in SQLite (WAL) under dataDir: what Athena keeps server-side, so that
 * ids, ClientRequestTokens, states and statistics outlive the process.
 */
import type Database from 'better-sqlite3';
import { openSqliteFile } from '../sqlite-file';
import type { AthenaErrorShape } from './errors';
import type { AthenaColumnInfo } from './result-format';
import type { StatementType } from './statements';

export type QueryState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export function isTerminal(state: QueryState): boolean {
  return state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED';
}

/** Everything LocalAthena knows about one execution (times are epoch milliseconds). */
export interface ExecutionRecord {
  id: string;
  clientRequestToken?: string;
  query: string;
  statementType: StatementType;
  substatementType: string;
  workGroup: string;
  database: string;
  catalog: string;
  executionParameters?: string[];
  /** The output prefix (s3://.../) the result file goes under. */
  outputLocation: string;
  /** The result file, s3:// URI (set at submission, as Athena does). */
  resultUri: string;
  state: QueryState;
  stateChangeReason?: string;
  athenaError?: AthenaErrorShape;
  submittedAt: number;
  runningAt?: number;
  engineStartedAt?: number;
  engineEndedAt?: number;
  completedAt?: number;
  dataScannedBytes: number;
  updateCount?: number;
  resultFormat?: 'csv' | 'txt';
  columns?: AthenaColumnInfo[];
  /** How many times a restart resumed this execution. */
  resumes: number;
}

/** SQLite-backed store; every write is synchronous, so a check-then-insert cannot interleave. */
export class ExecutionStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = openSqliteFile(path, (db) => {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.exec(`
      CREATE TABLE IF NOT EXISTS executions (
        id TEXT PRIMARY KEY,
        client_request_token TEXT UNIQUE,
        state TEXT NOT NULL,
        submitted_at INTEGER NOT NULL,
        record TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS executions_state ON executions (state);
    `);
    });
  }

  insert(record: ExecutionRecord): void {
    this.db
      .prepare(
        'INSERT INTO executions (id, client_request_token, state, submitted_at, record) VALUES (?, ?, ?, ?, ?)',
      )
      .run(
        record.id,
        record.clientRequestToken ?? null,
        record.state,
        record.submittedAt,
        JSON.stringify(record),
      );
  }

  update(record: ExecutionRecord): void {
    this.db
      .prepare('UPDATE executions SET state = ?, record = ? WHERE id = ?')
      .run(record.state, JSON.stringify(record), record.id);
  }

  get(id: string): ExecutionRecord | undefined {
    const row = this.db.prepare('SELECT record FROM executions WHERE id = ?').get(id) as
      | { record: string }
      | undefined;
    return row ? (JSON.parse(row.record) as ExecutionRecord) : undefined;
  }

  byToken(token: string): ExecutionRecord | undefined {
    const row = this.db.prepare('SELECT record FROM executions WHERE client_request_token = ?').get(token) as
      | { record: string }
      | undefined;
    return row ? (JSON.parse(row.record) as ExecutionRecord) : undefined;
  }

  /** Executions a previous process left QUEUED or RUNNING, oldest first. */
  unfinished(): ExecutionRecord[] {
    const rows = this.db
      .prepare("SELECT record FROM executions WHERE state IN ('QUEUED', 'RUNNING') ORDER BY submitted_at")
      .all() as { record: string }[];
    return rows.map((r) => JSON.parse(r.record) as ExecutionRecord);
  }

  close(): void {
    this.db.close();
  }
}
