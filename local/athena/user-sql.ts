/**
 * The checks user SQL passes before DuckDB runs it, made with DuckDB's own parser (a tokenizer of our
 * own cannot know every quoting rule DuckDB has: dollar quotes, `\r` ending a comment...):
 *
 * - exactly one statement (`extractStatements`), and that statement is a query: DuckDB must be able
 *   to serialize it as a SELECT (`json_serialize_sql`) and its prepared form must say SELECT (or
 *   EXPLAIN of a query that passed the same checks);
 * - in its syntax tree, no table function but the generators Athena has equivalents of (UNNEST,
 *   ranges): none of DuckDB's file readers, `query()`, `enable_logging()` or `duckdb_*()` listings;
 *   no function that reads the engine's settings; no file name used as a table.
 *
 * The sandbox (sandbox.ts) would refuse a file outside the tables anyway; these checks make every
 * such query fail the way Athena fails it (FUNCTION_NOT_FOUND, TABLE_NOT_FOUND), before any binding.
 */
import { type DuckDBPreparedStatement, StatementType } from '@duckdb/node-api';
import { EngineError, type PositionMap, QueryFailedError, RejectedQueryError, userFailure } from './errors';
import { quoteLiteral } from './hive-types';
import type { Sandbox } from './sandbox';
import { explainPrefix } from './sql-tokenizer';

/** Table functions a query may call: generators with Athena equivalents (UNNEST, sequence). */
const TABLE_FUNCTIONS = new Set(['unnest', 'range', 'generate_series']);
/** Scalar functions that read the engine's configuration or environment. */
const HIDDEN_FUNCTIONS = new Set(['current_setting', 'getvariable', 'getenv']);

export interface UserQuery {
  /** The SQL DuckDB runs (translated), its map back to the user's text, and that text. */
  readonly sql: string;
  readonly map: PositionMap;
  readonly userSql: string;
}

/**
 * Checks one query and prepares it on the sandbox's query connection. `EXPLAIN [ANALYZE]` is
 * accepted in front of a query (Trino's options in parentheses are ignored).
 */
export async function prepareUserQuery(box: Sandbox, query: UserQuery): Promise<DuckDBPreparedStatement> {
  const explain = explainPrefix(query.sql);
  if (!explain) return prepareChecked(box, query, StatementType.SELECT);
  const inner = explain.length;
  await checkQuery(box, {
    ...query,
    sql: query.sql.slice(inner),
    map: (offset) => query.map(offset + inner),
  });
  // The text DuckDB runs is built here: EXPLAIN and the very query that passed the checks.
  const prefix = explain.analyze ? 'EXPLAIN ANALYZE ' : 'EXPLAIN ';
  return prepareChecked(
    box,
    {
      ...query,
      sql: `${prefix}${query.sql.slice(inner)}`,
      map: (offset) => (offset < prefix.length ? undefined : query.map(offset - prefix.length + inner)),
    },
    StatementType.EXPLAIN,
    false,
  );
}

/**
 * Prepares SQL the engine wrapped around a checked query (CTAS and INSERT: `COPY (query) TO ...`),
 * making sure that the wrapping is still one statement of the expected type.
 */
export async function prepareWrapped(
  box: Sandbox,
  query: UserQuery,
  type: StatementType,
): Promise<DuckDBPreparedStatement> {
  return prepareChecked(box, query, type, false);
}

async function prepareChecked(
  box: Sandbox,
  query: UserQuery,
  type: StatementType,
  checkTree = true,
): Promise<DuckDBPreparedStatement> {
  let extracted: Awaited<ReturnType<typeof box.connection.extractStatements>>;
  try {
    extracted = await box.connection.extractStatements(query.sql);
  } catch (error) {
    throw new EngineError(error, query.sql, query.map);
  }
  if (extracted.count !== 1) throw onlyOneStatement(query.userSql);
  if (checkTree) await checkTreeOf(box, query);
  let prepared: DuckDBPreparedStatement;
  try {
    prepared = await extracted.prepare(0);
  } catch (error) {
    throw new EngineError(error, query.sql, query.map);
  }
  if (prepared.statementType !== type) {
    prepared.destroySync();
    throw notAQuery();
  }
  return prepared;
}

/** The checks of prepareUserQuery without preparing (the inner query of EXPLAIN). */
async function checkQuery(box: Sandbox, query: UserQuery): Promise<void> {
  let count: number;
  try {
    count = (await box.connection.extractStatements(query.sql)).count;
  } catch (error) {
    throw new EngineError(error, query.sql, query.map);
  }
  if (count !== 1) throw onlyOneStatement(query.userSql);
  await checkTreeOf(box, query);
}

async function checkTreeOf(box: Sandbox, query: UserQuery): Promise<void> {
  const reader = await box.helper.runAndReadAll(`SELECT json_serialize_sql(${quoteLiteral(query.sql)})`);
  const tree = JSON.parse(String(reader.getRows()[0][0])) as { error: boolean; statements?: unknown[] };
  if (tree.error || tree.statements?.length !== 1) throw notAQuery();
  const statement = tree.statements[0];
  const issue = findIssue(statement, {
    systemRelations: box.systemRelations,
    relations: new Set([...box.relationNames, ...cteNames(statement)]),
  });
  if (issue) {
    const at = issue.location !== undefined && issue.location < query.sql.length ? issue.location : undefined;
    throw new RejectedQueryError(issue.code, issue.message, at === undefined ? undefined : query.map(at));
  }
}

interface Issue {
  readonly code: string;
  readonly message: string;
  readonly location?: number;
}

type Node = { [key: string]: unknown };

interface Names {
  /** What DuckDB resolves a bare `FROM name` to when no table has it (Sandbox.systemRelations). */
  readonly systemRelations: ReadonlySet<string>;
  /** Tables, views and CTEs the statement may name. */
  readonly relations: ReadonlySet<string>;
}

/** The first thing in a serialized statement that a user query may not do. */
function findIssue(value: unknown, names: Names): Issue | undefined {
  if (Array.isArray(value)) {
    for (const item of value) {
      const issue = findIssue(item, names);
      if (issue) return issue;
    }
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  const node = value as Node;
  const location = typeof node.query_location === 'number' ? node.query_location : undefined;
  if (node.type === 'TABLE_FUNCTION') {
    const fn = node.function as Node | undefined;
    const name = String(fn?.function_name ?? '').toLowerCase();
    if (!TABLE_FUNCTIONS.has(name)) {
      return { code: 'FUNCTION_NOT_FOUND', message: `Table function '${name}' not registered`, location };
    }
  } else if (node.class === 'FUNCTION') {
    const name = String(node.function_name ?? '').toLowerCase();
    if (HIDDEN_FUNCTIONS.has(name)) {
      return { code: 'FUNCTION_NOT_FOUND', message: `Function '${name}' not registered`, location };
    }
  } else if (node.type === 'BASE_TABLE') {
    const name = String(node.table_name ?? '');
    const lower = name.toLowerCase();
    // DuckDB reads a file named as a table (a replacement scan), and resolves a name that is no
    // table to a table function or a system view; Athena has only tables.
    const file = !node.schema_name && !node.catalog_name && /[/\\.]/.test(name);
    const system = names.systemRelations.has(lower) && !names.relations.has(lower);
    const systemSchema = ['main', 'pg_catalog'].includes(String(node.schema_name ?? '').toLowerCase());
    if (file || system || systemSchema) {
      return { code: 'TABLE_NOT_FOUND', message: `Table '${name}' does not exist`, location };
    }
  }
  for (const child of Object.values(node)) {
    const issue = findIssue(child, names);
    if (issue) return issue;
  }
  return undefined;
}

/** Names of the CTEs anywhere in a serialized statement. */
function cteNames(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(cteNames);
  if (!value || typeof value !== 'object') return [];
  const node = value as Node;
  const own =
    node.cte_map && typeof node.cte_map === 'object'
      ? (((node.cte_map as Node).map as { key?: unknown }[] | undefined)?.map((e) =>
          String(e.key).toLowerCase(),
        ) ?? [])
      : [];
  return [...own, ...Object.values(node).flatMap(cteNames)];
}

function onlyOneStatement(userSql: string): QueryFailedError {
  return new QueryFailedError(
    userFailure('INVALID_INPUT', `Only one sql statement is allowed. Got: ${userSql}`),
  );
}

function notAQuery(): QueryFailedError {
  return new QueryFailedError(
    userFailure(
      'NOT_SUPPORTED',
      'Only queries (SELECT, WITH, VALUES, TABLE, EXPLAIN) run here; DuckDB statements such as COPY, ATTACH or SET are not Athena SQL',
    ),
  );
}
