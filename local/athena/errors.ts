/**
 * Errors in Athena's shapes: API exceptions (thrown by LocalAthena's methods, named like the AWS SDK
 * v3 exception classes) and query failures (a FAILED execution's StateChangeReason and AthenaError).
 */
import { isAthenaFunction } from './athena-functions';
import { lineColumn, SqlSyntaxError } from './sql-tokenizer';
import { UnsupportedStatementError } from './statements';
import { TableDefinitionError } from './tables';

export type AthenaExceptionName =
  | 'TooManyRequestsException'
  | 'InvalidRequestException'
  | 'ResourceNotFoundException';

/** An Athena API error; `name` is the SDK exception name, as `err.name` is for `@aws-sdk/client-athena`. */
export class AthenaServiceError extends Error {
  readonly $fault = 'client' as const;
  readonly Reason?: string;
  readonly AthenaErrorCode?: string;

  constructor(
    name: AthenaExceptionName,
    message: string,
    options: { reason?: string; errorCode?: string } = {},
  ) {
    super(message);
    this.name = name;
    this.Reason = options.reason;
    this.AthenaErrorCode = options.errorCode;
  }
}

/** Athena's text for the account's active query quota (StartQueryExecution). */
export const CONCURRENT_QUERY_LIMIT_MESSAGE =
  'You have exceeded the limit for the number of queries you can run concurrently. Please reduce the number of concurrent queries submitted by this account. Contact customer support to request a concurrent query limit increase.';

export function tooManyRequests(): AthenaServiceError {
  return new AthenaServiceError('TooManyRequestsException', CONCURRENT_QUERY_LIMIT_MESSAGE, {
    reason: 'CONCURRENT_QUERY_LIMIT_EXCEEDED',
  });
}

export function invalidRequest(message: string, errorCode = 'INVALID_INPUT'): AthenaServiceError {
  return new AthenaServiceError('InvalidRequestException', message, { errorCode });
}

/** AthenaError of a FAILED execution. */
export interface AthenaErrorShape {
  ErrorCategory: number;
  ErrorType: number;
  Retryable: boolean;
  ErrorMessage: string;
}

export interface QueryFailure {
  readonly reason: string;
  readonly error: AthenaErrorShape;
}

// Athena error catalog (docs: "Athena error catalog"): categories 1 SYSTEM, 2 USER, 3 OTHER;
// types 1000 user error, 1001 data error, 1003 DDL task failed.
const CATEGORY_SYSTEM = 1;
const CATEGORY_USER = 2;
const TYPE_USER = 1000;
const TYPE_DATA = 1001;
const TYPE_DDL = 1003;
const TYPE_ENGINE_INTERNAL = 200;

/** A user error found before DuckDB ran anything (our parser, our catalog). */
export function userFailure(code: string, message: string, options: { ddl?: boolean } = {}): QueryFailure {
  const reason = `${code}: ${message}`;
  return {
    reason,
    error: {
      ErrorCategory: CATEGORY_USER,
      ErrorType: options.ddl ? TYPE_DDL : TYPE_USER,
      Retryable: false,
      ErrorMessage: reason,
    },
  };
}

/** Maps a position in the SQL DuckDB ran back to the SQL the user sent. */
export type PositionMap = (offsetInEngineSql: number) => number | undefined;

/** A failure already in Athena's shape (found by us, not thrown by DuckDB). */
export class QueryFailedError extends Error {
  constructor(readonly failure: QueryFailure) {
    super(failure.reason);
    this.name = 'QueryFailedError';
  }
}

/** A query refused before it ran, at `position` in the user's text when known. */
export class RejectedQueryError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly position: number | undefined,
  ) {
    super(message);
    this.name = 'RejectedQueryError';
  }
}

/** An engine error, with what is needed to turn its position into the user's line:column. */
export class EngineError extends Error {
  constructor(
    readonly cause: unknown,
    readonly engineSql: string,
    readonly map: PositionMap,
  ) {
    super(messageOf(cause));
    this.name = 'EngineError';
  }
}

/**
 * Turns an error thrown while running a statement into Athena's failure shape. DuckDB's message is
 * kept as it is; what changes is the prefix: Athena starts reasons with an error name, and gives
 * positions as `line L:C:` in the user's text. DuckDB marks the position with a caret under a copy
 * of the line, which is what is decoded here.
 */
export function failureFromError(
  error: unknown,
  context: { userSql: string; engineSql?: string; map?: PositionMap; ddl?: boolean },
): QueryFailure {
  if (error instanceof SqlSyntaxError) {
    const { line, column } = lineColumn(context.userSql, error.position);
    const code = error.message.startsWith('Only one sql statement') ? 'INVALID_INPUT' : 'SYNTAX_ERROR';
    return userFailure(
      code,
      code === 'SYNTAX_ERROR' ? `line ${line}:${column}: ${error.message}` : error.message,
      {
        ddl: context.ddl,
      },
    );
  }
  if (error instanceof RejectedQueryError) {
    const where = error.position === undefined ? undefined : lineColumn(context.userSql, error.position);
    const at = where ? `line ${where.line}:${where.column}: ` : '';
    return userFailure(error.code, `${at}${error.message}`, context);
  }
  if (error instanceof UnsupportedStatementError) return userFailure('NOT_SUPPORTED', error.message, context);
  if (error instanceof TableDefinitionError)
    return userFailure('INVALID_TABLE_PROPERTY', error.message, { ddl: true });
  // @duckdb/node-api wraps parser errors of stream()/run() in this sentence.
  const text = messageOf(error).replace(/^Failed to extract statements: /, '');
  const lines = text.split('\n');
  const head = /^([A-Za-z ]+) Error: (.*)$/.exec(lines[0]);
  const kind = head ? head[1] : '';
  const message = head ? head[2] : lines[0];
  const at = offsetOf(lines, context);
  const where = at === undefined ? undefined : lineColumn(context.userSql, at);
  const { code, category, type, retryable } = classify(kind, message);
  // A function DuckDB lacks is named as the user wrote it, never with DuckDB's suggestions.
  const functionName = code === 'FUNCTION_NOT_FOUND' ? wordAt(context.userSql, at) : undefined;
  const hints =
    code === 'FUNCTION_NOT_FOUND'
      ? []
      : lines
          .slice(1)
          .filter(
            (l) => /^(Candidate bindings|Did you mean)/.test(l) && !/pg_|information_schema|duckdb_/.test(l),
          );
  const said =
    code === 'FUNCTION_NOT_FOUND' ? functionMessage(message, functionName, context.userSql) : message;
  const body = `${where ? `line ${where.line}:${where.column}: ` : ''}${said}${hints.length ? ` (${hints.join('; ')})` : ''}`;
  const reason = `${code}: ${body}`;
  return {
    reason,
    error: {
      ErrorCategory: category,
      ErrorType: context.ddl && category === CATEGORY_USER ? TYPE_DDL : type,
      Retryable: retryable,
      ErrorMessage: reason,
    },
  };
}

function classify(
  kind: string,
  message: string,
): { code: string; category: number; type: number; retryable: boolean } {
  const user = (code: string, type = TYPE_USER) => ({
    code,
    category: CATEGORY_USER,
    type,
    retryable: false,
  });
  switch (kind) {
    case 'Parser':
      return user('SYNTAX_ERROR');
    case 'Catalog':
      if (/^Table with name/.test(message)) return user('TABLE_NOT_FOUND');
      if (/Schema with name|schema/i.test(message)) return user('SCHEMA_NOT_FOUND');
      if (/Function with name|Macro Function/i.test(message)) return user('FUNCTION_NOT_FOUND');
      return user('GENERIC_USER_ERROR');
    case 'Binder':
      if (/^Referenced column|not found in FROM clause/.test(message)) return user('COLUMN_NOT_FOUND');
      if (/No function matches|does not support the supplied arguments/.test(message))
        return user('FUNCTION_NOT_FOUND');
      if (/Cannot compare|Cannot mix|type/.test(message)) return user('TYPE_MISMATCH');
      return user('GENERIC_USER_ERROR');
    case 'Conversion':
      return user('INVALID_CAST_ARGUMENT', TYPE_DATA);
    case 'Out of Range':
      return user('NUMERIC_VALUE_OUT_OF_RANGE', TYPE_DATA);
    case 'Invalid Input':
      if (/CSV|JSON|Parquet|parquet|file/.test(message)) return user('HIVE_BAD_DATA', TYPE_DATA);
      return user('INVALID_FUNCTION_ARGUMENT');
    case 'IO':
      return user('HIVE_CANNOT_OPEN_SPLIT', TYPE_DATA);
    case 'Permission':
      // The sandbox refused a file outside the tables (sandbox.ts).
      return user('PERMISSION_DENIED');
    case 'Not implemented':
      return user('NOT_SUPPORTED');
    case 'Out of Memory':
      return { code: 'EXCEEDED_LOCAL_MEMORY_LIMIT', category: CATEGORY_SYSTEM, type: 0, retryable: true };
    case 'TransactionContext':
      return {
        code: 'GENERIC_INTERNAL_ERROR',
        category: CATEGORY_SYSTEM,
        type: TYPE_ENGINE_INTERNAL,
        retryable: true,
      };
    case 'INTERNAL':
    case 'Fatal':
      return {
        code: 'GENERIC_INTERNAL_ERROR',
        category: CATEGORY_SYSTEM,
        type: TYPE_ENGINE_INTERNAL,
        retryable: false,
      };
    default:
      return user('GENERIC_USER_ERROR');
  }
}

/**
 * Trino's words for a function that does not exist, or not with these arguments, naming the function
 * as the user wrote it (`written`, read at the error's position) and never a DuckDB-side name: a
 * macro of trino-macros.ts is the Athena function of the same name, and an internal function DuckDB
 * names inside a macro is not named at all.
 */
function functionMessage(message: string, written: string | undefined, userSql: string): string {
  const macro = /^Macro __athena_(\w+)\(\) does not support the supplied arguments/.exec(message);
  if (macro) return `Unexpected parameters for function ${written ?? macro[1]}`;
  const types = /argument types '([^(]*)\((.*)\)'/.exec(message);
  const named = types?.[1] ?? /Function with name "?(\w+)"?/.exec(message)?.[1];
  const wrote = (fn: string) => new RegExp(`\\b${fn}\\s*\\(`, 'i').test(userSql);
  const name = written ?? (named && wrote(named) ? named.toLowerCase() : undefined);
  if (types) {
    return `Unexpected parameters (${types[2].toLowerCase()}) ${name ? `for function ${name}` : 'in a function call'}`;
  }
  if (!name) return 'A function of the query is not supported by the local Athena engine';
  return isAthenaFunction(name)
    ? `Function '${name}' is not supported by the local Athena engine (it runs on Athena)`
    : `Function '${name}' not registered`;
}

/** The identifier starting at `offset` of `sql`, lower case. */
function wordAt(sql: string, offset: number | undefined): string | undefined {
  if (offset === undefined) return undefined;
  const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(offset));
  return match ? match[0].toLowerCase() : undefined;
}

/** Reads DuckDB's `LINE n: <text>` + caret lines and maps them to an offset in the user's text. */
function offsetOf(
  lines: string[],
  context: { userSql: string; engineSql?: string; map?: PositionMap },
): number | undefined {
  const at = lines.findIndex((l) => /^LINE \d+: /.test(l));
  if (at < 0 || !context.engineSql || !context.map) return undefined;
  const header = /^LINE (\d+): /.exec(lines[at]);
  const caretLine = lines[at + 1] ?? '';
  const caret = caretLine.indexOf('^');
  if (!header || caret < 0) return undefined;
  const lineNo = Number(header[1]);
  let shown = lines[at].slice(header[0].length);
  let column = caret - header[0].length;
  // DuckDB shortens long lines to a window with "..." on either side.
  if (shown.startsWith('...')) {
    shown = shown.slice(3);
    column -= 3;
  }
  if (shown.endsWith('...')) shown = shown.slice(0, -3);
  const engineLines = context.engineSql.split('\n');
  const lineText = engineLines[lineNo - 1];
  if (lineText === undefined) return undefined;
  const windowStart = lineText.indexOf(shown);
  if (windowStart < 0) return undefined;
  const offset =
    engineLines.slice(0, lineNo - 1).reduce((sum, l) => sum + l.length + 1, 0) + windowStart + column;
  return context.map(offset);
}

/** An error's message; errors thrown by native modules may come from another realm (not `instanceof Error`). */
export function messageOf(error: unknown): string {
  if (error && typeof error === 'object' && 'message' in error && typeof error.message === 'string')
    return error.message;
  return String(error);
}
