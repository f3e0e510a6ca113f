/**
 * What every kind of statement shares when it runs: its context, its outcome, the failures it throws
 * and the checks of databases, tables and locations.
 */
import { bytesScanned, scansInProfile } from './data-scanned';
import type { AthenaEngine } from './engine';
import { QueryFailedError, userFailure } from './errors';
import { ResultFileWriter } from './result-files';
import { type AthenaColumnInfo, stringColumnInfo } from './result-format';
import { asPrefix } from './s3-paths';
import type { Sandbox } from './sandbox';
import type { AthenaStatement, QualifiedName } from './statements';
import type { TableSpec } from './tables';

export interface RunContext {
  readonly id: string;
  readonly userSql: string;
  readonly statement: AthenaStatement;
  readonly parameters: readonly string[];
  readonly database: string;
  readonly engine: AthenaEngine;
  /**
   * The sandbox the statement's SQL runs in (one per statement, given back by the caller);
   * `writableDirs` asks for one that may also write there (a CTAS's new location).
   */
  readonly sandbox: (writableDirs?: readonly string[]) => Promise<Sandbox>;
  /** Where query results are written: no table may be created over them. */
  readonly resultLocations: readonly string[];
  /** Output prefix (s3://.../) and the local file the result goes to (`<id>.csv` or `<id>.txt`). */
  readonly outputLocation: string;
  readonly resultPath: string;
  readonly bytesScannedCutoff?: number;
  /** Called when planning ends and the engine starts executing; throws once the query is stopped. */
  readonly onEngineStart: () => void;
  /** Aborted by StopQueryExecution (or close): checked between engine calls, as interrupt() only stops a running one. */
  readonly signal: AbortSignal;
}

export interface RunOutcome {
  readonly resultFile: string;
  readonly resultFormat: 'csv' | 'txt';
  readonly columns: AthenaColumnInfo[];
  readonly dataScannedBytes: number;
  readonly updateCount?: number;
}

/** The query read more than the workgroup's BytesScannedCutoffPerQuery. */
export class BytesLimitExceededError extends Error {
  constructor(readonly bytes: number) {
    super('Bytes scanned limit was exceeded');
    this.name = 'BytesLimitExceededError';
  }
}

/** A failure Athena reports for the user's statement (a DDL one when `ddl`). */
export const fail = (code: string, message: string, ddl = false) =>
  new QueryFailedError(userFailure(code, message, { ddl }));

/** The statement's sandbox, resolving unqualified names in the query's database. */
export async function openSandbox(ctx: RunContext, writableDirs?: readonly string[]): Promise<Sandbox> {
  const box = await ctx.sandbox(writableDirs);
  await box.useDatabase(ctx.database);
  return box;
}

/**
 * The bytes the statement just run in `box` read, from its profile (see data-scanned.ts).
 * `regexCaches`: the parse caches of the RegexSerDe tables the statement names. DuckDB may answer
 * from Parquet statistics alone (no scan at all), where Athena reads the log text: such a table is
 * billed its log files.
 */
export async function finishProfiling(
  ctx: RunContext,
  box: Sandbox,
  regexCaches: readonly string[],
): Promise<number> {
  const scans = scansInProfile(box.takeProfile());
  for (const dir of regexCaches) {
    if (!scans.some((scan) => scan.patterns.some((p) => p.startsWith(dir)))) {
      scans.push({ reader: 'READ_PARQUET', patterns: [`${dir}/`], columns: [], filters: '' });
    }
  }
  return bytesScanned(box.helper, scans, (pattern) => ctx.engine.billedScan(pattern));
}

/** The outcome of a DDL statement: an empty text result. */
export async function ddlOutcome(ctx: RunContext): Promise<RunOutcome> {
  return utilityOutcome(ctx, undefined, []);
}

/** The outcome of a utility statement (SHOW, DESCRIBE): one text line per row, under `column`. */
export async function utilityOutcome(
  ctx: RunContext,
  column: string | undefined,
  lines: readonly string[],
): Promise<RunOutcome> {
  const resultFile = ctx.resultPath;
  const writer = new ResultFileWriter(resultFile, 'txt');
  for (const line of lines) await writer.writeRow([line]);
  await writer.close();
  return {
    resultFile,
    resultFormat: 'txt',
    columns: column ? [stringColumnInfo(column)] : [],
    dataScannedBytes: 0,
  };
}

export async function requireDatabase(ctx: RunContext, database: string, ddl: boolean): Promise<void> {
  if (!(await ctx.engine.databaseExists(database))) {
    throw fail('SCHEMA_NOT_FOUND', `Database ${database} does not exist`, ddl);
  }
}

export async function relationExists(ctx: RunContext, database: string, name: string): Promise<boolean> {
  return (await ctx.engine.relations(database)).some((r) => r.name === name);
}

export function requireTable(ctx: RunContext, table: QualifiedName): TableSpec {
  const database = table.database ?? ctx.database;
  const spec = ctx.engine.table(database, table.name);
  if (!spec) throw fail('TABLE_NOT_FOUND', `Table ${database}.${table.name} does not exist`);
  return spec;
}

/**
 * A table over a location that holds query results would let its readers read other queries'
 * results (on AWS, a class's IAM policy allows its own results prefix only).
 */
export function refuseResultsLocation(ctx: RunContext, location: string, ddl: boolean): void {
  const prefix = asPrefix(location);
  const results = ctx.resultLocations.find((r) => asPrefix(r).startsWith(prefix));
  if (results) {
    throw fail(
      'INVALID_TABLE_PROPERTY',
      `LOCATION ${location} holds query results (${results}): choose a location outside the query result locations`,
      ddl,
    );
  }
}
