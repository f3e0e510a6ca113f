import BetterSqlite3 from 'better-sqlite3';

/**
 * A data file that cannot be opened or used, named with what is wrong and what to do: a start stops
 * on it with that message (no stack trace).
 */
export class DataFileError extends Error {
  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super(`Cannot use ${file}: ${problemOf(cause)}`);
    this.name = 'DataFileError';
  }
}

function problemOf(cause: unknown): string {
  const { code, message } = cause as { code?: string; message?: string };
  const elsewhere = 'or start with another --data-dir';
  // DuckDB's errors have no code: they are known by their text.
  if (/not a valid DuckDB database file/.test(message ?? ''))
    return `it is not a readable DuckDB database (${message}). Restore it from a backup, or move it aside to start with an empty catalog (tables and views made with DDL are then forgotten; their data under athena/s3 stays), ${elsewhere}.`;
  if (/Could not set lock on file/.test(message ?? ''))
    return `another process holds it (${message}). Stop the other athena-wlm that uses this data dir, ${elsewhere}.`;
  switch (code) {
    case 'SQLITE_NOTADB':
    case 'SQLITE_CORRUPT':
      return `it is not a readable SQLite database (${message}). Restore it from a backup, or move it aside to start with an empty one (what it held, queued queries included, is then forgotten), ${elsewhere}.`;
    case 'SQLITE_READONLY':
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_PERM':
      return `it cannot be opened for writing (${message}). Make it and its directory writable by this user, ${elsewhere}.`;
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return `another process holds it (${message}). Stop the other athena-wlm that uses this data dir, ${elsewhere}.`;
    default:
      return `${message}.`;
  }
}

/** Opens an SQLite file and runs `setup` on it (pragmas, schema); any failure is a DataFileError naming the file. */
export function openSqliteFile(
  file: string,
  setup: (db: BetterSqlite3.Database) => void,
): BetterSqlite3.Database {
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(file);
    setup(db);
    return db;
  } catch (error) {
    db?.close();
    throw error instanceof DataFileError ? error : new DataFileError(file, error);
  }
}
