/**
 * Runs one parsed statement on its own DuckDB connection and writes its result file, by kind: queries
 * (query-statement.ts), CTAS and INSERT (write-statements.ts), DDL (ddl-statements.ts) and utilities
 * (utility-statements.ts). Errors are thrown as they come (the runner turns them into Athena failures);
 * the scan limit is checked on the bytes the profiler says were read.
 */

import { runDdl, runViewDdl } from './ddl-statements';
import { EngineError, failureFromError, QueryFailedError, type QueryFailure } from './errors';
import { runQuery } from './query-statement';
import type { RunContext, RunOutcome } from './statement-context';
import { runUtility } from './utility-statements';
import { runCtas, runInsert } from './write-statements';

export { BytesLimitExceededError, type RunContext, type RunOutcome } from './statement-context';

export async function runStatement(ctx: RunContext): Promise<RunOutcome> {
  const s = ctx.statement;
  switch (s.kind) {
    case 'engine':
      return s.what === 'query' ? runQuery(ctx, s.sql) : runViewDdl(ctx, s.sql);
    case 'ctas':
      return runCtas(ctx, s);
    case 'insert':
      return runInsert(ctx, s);
    case 'createExternalTable':
    case 'createDatabase':
    case 'dropDatabase':
    case 'dropTable':
    case 'repairTable':
    case 'alterPartitions':
      return runDdl(ctx, s);
    case 'showTables':
    case 'showDatabases':
    case 'showColumns':
    case 'describe':
    case 'showCreateTable':
    case 'showPartitions':
    case 'showTblProperties':
      return runUtility(ctx, s);
  }
}

/** Converts whatever runStatement threw into Athena's failure shape. */
export function toFailure(error: unknown, userSql: string, ddl: boolean): QueryFailure {
  if (error instanceof QueryFailedError) return error.failure;
  if (error instanceof EngineError) {
    return failureFromError(error.cause, { userSql, engineSql: error.engineSql, map: error.map, ddl });
  }
  return failureFromError(error, { userSql, ddl });
}
