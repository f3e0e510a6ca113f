/**
 * Parses the statements Athena accepts into a small AST: Hive DDL (CREATE EXTERNAL TABLE, SHOW,
 * DESCRIBE, DROP, MSCK...) with Hive lexical rules, and Trino statements (CTAS, INSERT, SELECT,
 * views) with Trino rules. Queries themselves are not parsed: DuckDB does that.
 */
import { type HiveType, parseHiveType } from './hive-types';
import {
  leadingWords,
  SqlSyntaxError,
  singleStatement,
  TokenCursor,
  tokenize,
  unquoteStandard,
} from './sql-tokenizer';

export type StatementType = 'DDL' | 'DML' | 'UTILITY';

export interface QualifiedName {
  readonly database?: string;
  readonly name: string;
  readonly position: number;
}

export interface ColumnDef {
  readonly name: string;
  readonly type: HiveType;
  readonly comment?: string;
}

export interface DelimitedFormat {
  field?: string;
  escape?: string;
  collection?: string;
  mapKey?: string;
  line?: string;
  nullFormat?: string;
}

export interface CreateExternalTable {
  readonly kind: 'createExternalTable';
  readonly external: boolean;
  readonly table: QualifiedName;
  readonly ifNotExists: boolean;
  readonly columns: readonly ColumnDef[];
  readonly partitionColumns: readonly ColumnDef[];
  readonly comment?: string;
  readonly serde?: string;
  readonly serdeProperties: Readonly<Record<string, string>>;
  readonly delimited?: Readonly<DelimitedFormat>;
  readonly storedAs?: string;
  readonly inputFormat?: string;
  readonly location?: string;
  readonly tableProperties: Readonly<Record<string, string>>;
}

export interface CreateTableAsSelect {
  readonly kind: 'ctas';
  readonly table: QualifiedName;
  readonly ifNotExists: boolean;
  readonly properties: Readonly<Record<string, string | readonly string[]>>;
  /** The SELECT, as the user wrote it, and its offset in the statement (for error positions). */
  readonly query: string;
  readonly queryOffset: number;
  readonly withData: boolean;
}

export interface InsertInto {
  readonly kind: 'insert';
  readonly table: QualifiedName;
  readonly columns?: readonly string[];
  readonly query: string;
  readonly queryOffset: number;
}

export type AthenaStatement =
  | CreateExternalTable
  | CreateTableAsSelect
  | InsertInto
  | { readonly kind: 'createDatabase'; readonly name: string; readonly ifNotExists: boolean }
  | { readonly kind: 'dropTable'; readonly table: QualifiedName; readonly ifExists: boolean }
  | {
      readonly kind: 'dropDatabase';
      readonly name: string;
      readonly ifExists: boolean;
      readonly cascade: boolean;
    }
  | {
      readonly kind: 'showTables';
      readonly database?: string;
      readonly pattern?: string;
      readonly viewsOnly: boolean;
    }
  | { readonly kind: 'showDatabases'; readonly pattern?: string }
  | { readonly kind: 'showColumns'; readonly table: QualifiedName }
  | { readonly kind: 'showCreateTable'; readonly table: QualifiedName }
  | { readonly kind: 'showPartitions'; readonly table: QualifiedName }
  | { readonly kind: 'showTblProperties'; readonly table: QualifiedName }
  | { readonly kind: 'describe'; readonly table: QualifiedName }
  | { readonly kind: 'repairTable'; readonly table: QualifiedName }
  | { readonly kind: 'alterPartitions'; readonly table: QualifiedName }
  /** A query (or view DDL) that DuckDB runs as written, after translateQuery. */
  | { readonly kind: 'engine'; readonly sql: string; readonly what: 'query' | 'view' };

/** A statement that parsed but that the local engine does not run (ORC, UPDATE, PRAGMA, ...). */
export class UnsupportedStatementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedStatementError';
  }
}

const ENGINE_QUERY_WORDS = new Set(['SELECT', 'WITH', 'VALUES', 'TABLE', 'EXPLAIN']);

/**
 * StatementType and SubstatementType as Athena reports them, from the leading words only: this runs
 * in StartQueryExecution, before (and even when) the statement fails to parse.
 */
export function classifyStatement(sql: string): { statementType: StatementType; substatementType: string } {
  const words = leadingWords(sql, 4);
  const [w0 = '', w1 = '', w2 = ''] = words;
  if (w0 === 'SHOW') {
    const what = w1 === 'CREATE' ? `SHOW_CREATE_${w2 || 'TABLE'}` : `SHOW_${w1 || 'TABLES'}`;
    return { statementType: 'UTILITY', substatementType: what };
  }
  if (w0 === 'DESCRIBE' || w0 === 'DESC')
    return { statementType: 'UTILITY', substatementType: 'DESCRIBE_TABLE' };
  if (w0 === 'EXPLAIN') return { statementType: 'UTILITY', substatementType: 'EXPLAIN' };
  if (w0 === 'CREATE' && w1 === 'TABLE' && isCtas(sql)) {
    return { statementType: 'DML', substatementType: 'CREATE_TABLE_AS_SELECT' };
  }
  if (w0 === 'CREATE' || w0 === 'DROP' || w0 === 'ALTER' || w0 === 'MSCK') {
    const object = w1 === 'OR' ? 'VIEW' : w1 === 'EXTERNAL' ? 'TABLE' : w1 === 'SCHEMA' ? 'DATABASE' : w1;
    const verb = w0 === 'MSCK' ? 'MSCK_REPAIR' : w0;
    return { statementType: 'DDL', substatementType: `${verb}_${object || 'TABLE'}` };
  }
  if (w0 === 'INSERT') return { statementType: 'DML', substatementType: 'INSERT' };
  return {
    statementType: 'DML',
    substatementType: w0 === 'WITH' || w0 === 'TABLE' ? 'SELECT' : w0 || 'SELECT',
  };
}

function isCtas(sql: string): boolean {
  try {
    const cursor = new TokenCursor(sql, tokenize(sql));
    cursor.expectWords('CREATE', 'TABLE');
    cursor.acceptWords('IF', 'NOT', 'EXISTS');
    parseQualifiedName(cursor, (s) => s);
    if (cursor.isWord('WITH')) {
      cursor.next();
      skipBalanced(cursor);
    }
    return cursor.isWord('AS');
  } catch {
    return false;
  }
}

/** Parses one Athena statement. Throws SqlSyntaxError (with an offset) or UnsupportedStatementError. */
export function parseStatement(sqlWithSemicolon: string): AthenaStatement {
  const [w0 = '', w1 = '', w2 = ''] = leadingWords(sqlWithSemicolon, 3);
  const hive =
    ['SHOW', 'DESCRIBE', 'DESC', 'MSCK', 'ALTER'].includes(w0) ||
    (w0 === 'CREATE' && ['EXTERNAL', 'DATABASE', 'SCHEMA'].includes(w1)) ||
    (w0 === 'CREATE' && w1 === 'TABLE' && !isCtas(sqlWithSemicolon)) ||
    (w0 === 'DROP' && w1 !== 'VIEW');
  const sql = singleStatement(sqlWithSemicolon, { hiveEscapes: hive });
  const cursor = new TokenCursor(sql, tokenize(sql, { hiveEscapes: hive }));
  if (ENGINE_QUERY_WORDS.has(w0)) return { kind: 'engine', sql, what: 'query' };
  if (w0 === 'CREATE' && (w1 === 'VIEW' || (w1 === 'OR' && w2 === 'REPLACE'))) {
    return { kind: 'engine', sql, what: 'view' };
  }
  if (w0 === 'DROP' && w1 === 'VIEW') return { kind: 'engine', sql, what: 'view' };
  if (w0 === 'CREATE' && (w1 === 'DATABASE' || w1 === 'SCHEMA')) return parseCreateDatabase(cursor);
  if (w0 === 'CREATE' && w1 === 'TABLE' && isCtas(sql)) return parseCtas(cursor);
  if (w0 === 'CREATE' && (w1 === 'EXTERNAL' || w1 === 'TABLE')) return parseCreateTable(cursor);
  if (w0 === 'DROP') return parseDrop(cursor);
  if (w0 === 'SHOW') return parseShow(cursor);
  if (w0 === 'DESCRIBE' || w0 === 'DESC') {
    cursor.next();
    if (!cursor.acceptWords('FORMATTED')) cursor.acceptWords('EXTENDED');
    const table = parseQualifiedName(cursor, hiveIdent);
    if (!cursor.done) cursor.expectIdentifier('a column name');
    cursor.expectEnd();
    return { kind: 'describe', table };
  }
  if (w0 === 'MSCK') {
    cursor.expectWords('MSCK', 'REPAIR', 'TABLE');
    const table = parseQualifiedName(cursor, hiveIdent);
    cursor.expectEnd();
    return { kind: 'repairTable', table };
  }
  if (w0 === 'ALTER') {
    cursor.expectWords('ALTER', 'TABLE');
    const table = parseQualifiedName(cursor, hiveIdent);
    if (cursor.isWord('ADD') || cursor.isWord('DROP')) {
      const verb = cursor.next().text;
      cursor.acceptWords('IF', 'NOT', 'EXISTS');
      cursor.acceptWords('IF', 'EXISTS');
      if (cursor.isWord('PARTITION')) return { kind: 'alterPartitions', table };
      throw new UnsupportedStatementError(
        `ALTER TABLE ${verb.toUpperCase()} ${cursor.describeNext()} is not supported`,
      );
    }
    throw new UnsupportedStatementError(
      `ALTER TABLE ${cursor.describeNext()} is not supported locally: drop the table and create it again`,
    );
  }
  if (w0 === 'INSERT') return parseInsert(cursor);
  const first = cursor.peek();
  if (!first) throw new SqlSyntaxError('empty statement', 0);
  if (NOT_ATHENA_STATEMENTS.has(w0)) {
    throw new UnsupportedStatementError(
      `${w0} statements are not supported by Athena; run SELECT, WITH, VALUES, EXPLAIN, INSERT INTO, ` +
        'CREATE TABLE AS SELECT, CREATE EXTERNAL TABLE, CREATE VIEW, CREATE DATABASE, DROP, SHOW, DESCRIBE or MSCK',
    );
  }
  throw new SqlSyntaxError(`syntax error at or near "${first.text}"`, first.start);
}

/** Statements DuckDB (or other engines) run and Athena does not: refused, never passed to DuckDB. */
const NOT_ATHENA_STATEMENTS = new Set([
  'ATTACH',
  'DETACH',
  'COPY',
  'EXPORT',
  'IMPORT',
  'INSTALL',
  'LOAD',
  'PRAGMA',
  'SET',
  'RESET',
  'CALL',
  'CHECKPOINT',
  'FORCE',
  'VACUUM',
  'ANALYZE',
  'USE',
  'BEGIN',
  'START',
  'COMMIT',
  'ROLLBACK',
  'ABORT',
  'UPDATE',
  'DELETE',
  'MERGE',
  'TRUNCATE',
  'UNLOAD',
  'PREPARE',
  'EXECUTE',
  'DEALLOCATE',
  'SUMMARIZE',
  'PIVOT',
  'UNPIVOT',
  'FROM',
  'GRANT',
  'REVOKE',
  'COMMENT',
  'UPSERT',
  'REPLACE',
]);

/** Athena lower-cases database, table and column names. */
function hiveIdent(name: string): string {
  return name.toLowerCase();
}

function parseQualifiedName(cursor: TokenCursor, normalize: (s: string) => string): QualifiedName {
  const position = cursor.position;
  const parts = [normalize(cursor.expectIdentifier('a table name'))];
  while (cursor.acceptPunct('.')) parts.push(normalize(cursor.expectIdentifier('a name')));
  if (parts.length > 3) throw new SqlSyntaxError(`too many parts in name ${parts.join('.')}`, position);
  if (parts.length === 3) {
    if (parts[0].toLowerCase() !== 'awsdatacatalog') {
      throw new UnsupportedStatementError(
        `Catalog '${parts[0]}' does not exist: the local Athena has one catalog, AwsDataCatalog`,
      );
    }
    parts.shift();
  }
  return parts.length === 2 ? { database: parts[0], name: parts[1], position } : { name: parts[0], position };
}

function parseCreateDatabase(cursor: TokenCursor): AthenaStatement {
  cursor.expectWords('CREATE');
  if (!cursor.acceptWords('DATABASE')) cursor.expectWords('SCHEMA');
  const ifNotExists = cursor.acceptWords('IF', 'NOT', 'EXISTS');
  const name = hiveIdent(cursor.expectIdentifier('a database name'));
  // COMMENT, LOCATION and WITH DBPROPERTIES are accepted and have no local effect.
  while (!cursor.done) {
    if (cursor.acceptWords('COMMENT')) cursor.expectHiveString('a comment');
    else if (cursor.acceptWords('LOCATION')) cursor.expectHiveString('a location');
    else if (cursor.acceptWords('WITH', 'DBPROPERTIES')) parseProperties(cursor);
    else cursor.expectEnd();
  }
  return { kind: 'createDatabase', name, ifNotExists };
}

function parseDrop(cursor: TokenCursor): AthenaStatement {
  cursor.expectWords('DROP');
  if (cursor.acceptWords('DATABASE') || cursor.acceptWords('SCHEMA')) {
    const ifExists = cursor.acceptWords('IF', 'EXISTS');
    const name = hiveIdent(cursor.expectIdentifier('a database name'));
    const cascade = cursor.acceptWords('CASCADE');
    if (!cascade) cursor.acceptWords('RESTRICT');
    cursor.expectEnd();
    return { kind: 'dropDatabase', name, ifExists, cascade };
  }
  cursor.acceptWords('EXTERNAL');
  cursor.expectWords('TABLE');
  const ifExists = cursor.acceptWords('IF', 'EXISTS');
  const table = parseQualifiedName(cursor, hiveIdent);
  cursor.acceptWords('PURGE');
  cursor.expectEnd();
  return { kind: 'dropTable', table, ifExists };
}

function parseShow(cursor: TokenCursor): AthenaStatement {
  cursor.expectWords('SHOW');
  if (cursor.acceptWords('TABLES') || cursor.isWord('VIEWS')) {
    const viewsOnly = cursor.acceptWords('VIEWS');
    let database: string | undefined;
    if (cursor.acceptWords('IN') || cursor.acceptWords('FROM'))
      database = hiveIdent(cursor.expectIdentifier('a database'));
    cursor.acceptWords('LIKE');
    const pattern = cursor.done ? undefined : cursor.expectHiveString('a pattern');
    cursor.expectEnd();
    return { kind: 'showTables', database, pattern, viewsOnly };
  }
  if (cursor.acceptWords('DATABASES') || cursor.acceptWords('SCHEMAS')) {
    cursor.acceptWords('LIKE');
    const pattern = cursor.done ? undefined : cursor.expectHiveString('a pattern');
    cursor.expectEnd();
    return { kind: 'showDatabases', pattern };
  }
  if (cursor.acceptWords('COLUMNS')) {
    if (!cursor.acceptWords('IN')) cursor.expectWords('FROM');
    const table = parseQualifiedName(cursor, hiveIdent);
    if (cursor.acceptWords('IN') || cursor.acceptWords('FROM')) {
      const database = hiveIdent(cursor.expectIdentifier('a database'));
      cursor.expectEnd();
      return { kind: 'showColumns', table: { ...table, database } };
    }
    cursor.expectEnd();
    return { kind: 'showColumns', table };
  }
  if (cursor.acceptWords('CREATE')) {
    if (!cursor.acceptWords('TABLE')) cursor.expectWords('VIEW');
    const table = parseQualifiedName(cursor, hiveIdent);
    cursor.expectEnd();
    return { kind: 'showCreateTable', table };
  }
  if (cursor.acceptWords('PARTITIONS')) {
    const table = parseQualifiedName(cursor, hiveIdent);
    cursor.expectEnd();
    return { kind: 'showPartitions', table };
  }
  if (cursor.acceptWords('TBLPROPERTIES')) {
    const table = parseQualifiedName(cursor, hiveIdent);
    if (cursor.acceptPunct('(')) {
      cursor.expectHiveString('a property name');
      cursor.expectPunct(')');
    }
    cursor.expectEnd();
    return { kind: 'showTblProperties', table };
  }
  throw new UnsupportedStatementError(`SHOW ${cursor.describeNext()} is not supported`);
}

function parseProperties(cursor: TokenCursor): Record<string, string> {
  const properties: Record<string, string> = {};
  cursor.expectPunct('(');
  if (cursor.acceptPunct(')')) return properties;
  do {
    const key = cursor.expectHiveString('a property name');
    cursor.expectPunct('=');
    properties[key] = cursor.expectHiveString('a property value');
  } while (cursor.acceptPunct(','));
  cursor.expectPunct(')');
  return properties;
}

function parseColumns(cursor: TokenCursor): ColumnDef[] {
  const columns: ColumnDef[] = [];
  cursor.expectPunct('(');
  do {
    const name = hiveIdent(cursor.expectIdentifier('a column name'));
    const type = parseHiveType(cursor);
    const comment = cursor.acceptWords('COMMENT') ? cursor.expectHiveString('a column comment') : undefined;
    columns.push({ name, type, comment });
  } while (cursor.acceptPunct(','));
  cursor.expectPunct(')');
  return columns;
}

function parseCreateTable(cursor: TokenCursor): CreateExternalTable {
  cursor.expectWords('CREATE');
  const external = cursor.acceptWords('EXTERNAL');
  cursor.expectWords('TABLE');
  const ifNotExists = cursor.acceptWords('IF', 'NOT', 'EXISTS');
  const table = parseQualifiedName(cursor, hiveIdent);
  const columns = cursor.isPunct('(') ? parseColumns(cursor) : [];
  let partitionColumns: ColumnDef[] = [];
  let comment: string | undefined;
  let serde: string | undefined;
  let serdeProperties: Record<string, string> = {};
  let delimited: DelimitedFormat | undefined;
  let storedAs: string | undefined;
  let inputFormat: string | undefined;
  let location: string | undefined;
  let tableProperties: Record<string, string> = {};
  while (!cursor.done) {
    if (cursor.acceptWords('COMMENT')) {
      comment = cursor.expectHiveString('a table comment');
    } else if (cursor.acceptWords('PARTITIONED', 'BY')) {
      partitionColumns = parseColumns(cursor);
    } else if (cursor.acceptWords('CLUSTERED', 'BY')) {
      skipBalanced(cursor);
      if (cursor.acceptWords('SORTED', 'BY')) skipBalanced(cursor);
      cursor.expectWords('INTO');
      cursor.expectNumber('a bucket count');
      cursor.expectWords('BUCKETS');
    } else if (cursor.acceptWords('ROW', 'FORMAT')) {
      if (cursor.acceptWords('SERDE')) {
        serde = cursor.expectHiveString('a SerDe class name');
        if (cursor.acceptWords('WITH', 'SERDEPROPERTIES')) serdeProperties = parseProperties(cursor);
      } else {
        cursor.expectWords('DELIMITED');
        delimited = parseDelimited(cursor);
      }
    } else if (cursor.acceptWords('WITH', 'SERDEPROPERTIES')) {
      serdeProperties = parseProperties(cursor);
    } else if (cursor.acceptWords('STORED', 'AS')) {
      if (cursor.acceptWords('INPUTFORMAT')) {
        inputFormat = cursor.expectHiveString('an input format class');
        cursor.expectWords('OUTPUTFORMAT');
        cursor.expectHiveString('an output format class');
      } else {
        storedAs = cursor.expectIdentifier('a file format').toUpperCase();
      }
    } else if (cursor.acceptWords('LOCATION')) {
      location = cursor.expectHiveString('a location');
    } else if (cursor.acceptWords('TBLPROPERTIES')) {
      tableProperties = parseProperties(cursor);
    } else {
      throw new SqlSyntaxError(`unexpected ${cursor.describeNext()} in CREATE TABLE`, cursor.position);
    }
  }
  return {
    kind: 'createExternalTable',
    external,
    table,
    ifNotExists,
    columns,
    partitionColumns,
    comment,
    serde,
    serdeProperties,
    delimited,
    storedAs,
    inputFormat,
    location,
    tableProperties,
  };
}

function parseDelimited(cursor: TokenCursor): DelimitedFormat {
  const format: DelimitedFormat = {};
  for (;;) {
    if (cursor.acceptWords('FIELDS', 'TERMINATED', 'BY')) {
      format.field = cursor.expectHiveString('a field delimiter');
      if (cursor.acceptWords('ESCAPED', 'BY')) format.escape = cursor.expectHiveString('an escape character');
    } else if (cursor.acceptWords('COLLECTION', 'ITEMS', 'TERMINATED', 'BY')) {
      format.collection = cursor.expectHiveString('a collection delimiter');
    } else if (cursor.acceptWords('MAP', 'KEYS', 'TERMINATED', 'BY')) {
      format.mapKey = cursor.expectHiveString('a map key delimiter');
    } else if (cursor.acceptWords('LINES', 'TERMINATED', 'BY')) {
      format.line = cursor.expectHiveString('a line delimiter');
    } else if (cursor.acceptWords('NULL', 'DEFINED', 'AS')) {
      format.nullFormat = cursor.expectHiveString('a null marker');
    } else {
      return format;
    }
  }
}

/** Skips one parenthesised group, nested groups included. */
function skipBalanced(cursor: TokenCursor): void {
  cursor.expectPunct('(');
  let depth = 1;
  while (depth > 0) {
    const token = cursor.next();
    if (token.kind === 'punct' && token.text === '(') depth++;
    if (token.kind === 'punct' && token.text === ')') depth--;
  }
}

function parseCtas(cursor: TokenCursor): CreateTableAsSelect {
  cursor.expectWords('CREATE', 'TABLE');
  const ifNotExists = cursor.acceptWords('IF', 'NOT', 'EXISTS');
  const table = parseQualifiedName(cursor, hiveIdent);
  const properties: Record<string, string | string[]> = {};
  if (cursor.acceptWords('WITH')) {
    cursor.expectPunct('(');
    do {
      const key = cursor.expectIdentifier('a table property').toLowerCase();
      cursor.expectPunct('=');
      properties[key] = parsePropertyValue(cursor);
    } while (cursor.acceptPunct(','));
    cursor.expectPunct(')');
  }
  cursor.expectWords('AS');
  const queryOffset = cursor.position;
  let queryEnd = cursor.sql.length;
  let withData = true;
  // WITH [NO] DATA closes the statement; find it as the last significant tokens.
  const significant = tokenize(cursor.sql).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  const tail = significant.slice(-3).map((t) => t.text.toUpperCase());
  if (tail.join(' ') === 'WITH NO DATA') {
    withData = false;
    queryEnd = significant[significant.length - 3].start;
  } else if (tail.slice(1).join(' ') === 'WITH DATA') {
    queryEnd = significant[significant.length - 2].start;
  }
  const written = cursor.sql.slice(queryOffset, queryEnd).trimEnd();
  const parenthesised = written.startsWith('(') && written.endsWith(')');
  const query = parenthesised ? written.slice(1, -1) : written;
  if (query.trim() === '') throw new SqlSyntaxError('CREATE TABLE AS needs a query after AS', queryOffset);
  return {
    kind: 'ctas',
    table,
    ifNotExists,
    properties,
    query,
    queryOffset: parenthesised ? queryOffset + 1 : queryOffset,
    withData,
  };
}

function parsePropertyValue(cursor: TokenCursor): string | string[] {
  if (cursor.acceptWords('ARRAY')) {
    cursor.expectPunct('[');
    const values: string[] = [];
    if (!cursor.isPunct(']')) {
      do values.push(parseScalarValue(cursor));
      while (cursor.acceptPunct(','));
    }
    cursor.expectPunct(']');
    return values;
  }
  return parseScalarValue(cursor);
}

function parseScalarValue(cursor: TokenCursor): string {
  const token = cursor.next();
  if (token.kind === 'string') return unquoteStandard(token.text);
  if (token.kind === 'number' || token.kind === 'word') return token.text;
  throw new SqlSyntaxError(`expected a property value but found '${token.text}'`, token.start);
}

function parseInsert(cursor: TokenCursor): InsertInto {
  cursor.expectWords('INSERT', 'INTO');
  const table = parseQualifiedName(cursor, hiveIdent);
  let columns: string[] | undefined;
  // `INSERT INTO t (a, b) SELECT` names columns; `INSERT INTO t (SELECT ...)` is a query.
  if (
    cursor.isPunct('(') &&
    !['SELECT', 'WITH', 'VALUES'].includes(cursor.peek(1)?.text.toUpperCase() ?? '')
  ) {
    cursor.expectPunct('(');
    columns = [];
    do columns.push(hiveIdent(cursor.expectIdentifier('a column name')));
    while (cursor.acceptPunct(','));
    cursor.expectPunct(')');
  }
  const queryOffset = cursor.position;
  const query = cursor.sql.slice(queryOffset).trimEnd();
  if (query === '') throw new SqlSyntaxError('INSERT INTO needs a query', queryOffset);
  return { kind: 'insert', table, columns, query, queryOffset };
}

/** Hive's SHOW pattern: `*` is any run of characters, `|` separates alternatives, case-insensitive. */
export function hivePatternMatcher(pattern: string | undefined): (name: string) => boolean {
  if (pattern === undefined) return () => true;
  const alternatives = pattern.split('|').map((alt) =>
    alt
      .trim()
      .split('*')
      .map((part) => part.replace(/[.+?^${}()[\]\\]/g, '\\$&'))
      .join('.*'),
  );
  const regex = new RegExp(`^(?:${alternatives.join('|')})$`, 'i');
  return (name) => regex.test(name);
}
