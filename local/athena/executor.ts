/**
 * Runs one parsed statement on its own DuckDB connection and writes its result file. Errors are
 * thrown as they come (the runner turns them into Athena failures); the scan limit is checked on
 * the bytes the profiler says were read.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBType } from '@duckdb/node-api';
import { bytesScanned, scansInProfile } from './data-scanned';
import type { AthenaEngine } from './engine';
import { failureFromError, messageOf, type PositionMap, type QueryFailure, userFailure } from './errors';
import { hasVisibleFile, visibleFiles } from './files';
import { duckDbToHive, hiveToDuckDb, hiveTypeText, quoteIdent, quoteLiteral } from './hive-types';
import { ResultFileWriter } from './result-files';
import { type AthenaColumnInfo, columnInfo, formatValue, stringColumnInfo } from './result-format';
import { asPrefix, s3UriToLocalPath } from './s3-paths';
import { TokenCursor, tokenize } from './sql-tokenizer';
import {
  type AthenaStatement,
  type CreateTableAsSelect,
  hivePatternMatcher,
  type InsertInto,
  type QualifiedName,
} from './statements';
import {
  type ColumnSpec,
  showCreateTable,
  specForWrittenTable,
  specFromCreate,
  type TableSpec,
} from './tables';
import { shiftMap, translateQuery } from './translate';

export interface RunContext {
  readonly id: string;
  readonly userSql: string;
  readonly statement: AthenaStatement;
  readonly parameters: readonly string[];
  readonly database: string;
  readonly engine: AthenaEngine;
  readonly connection: DuckDBConnection;
  /** Output prefix (s3://.../) and the local file the result goes to (`<id>.csv` or `<id>.txt`). */
  readonly outputLocation: string;
  readonly resultPath: string;
  readonly profilePath: string;
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

/** A failure already in Athena's shape (found by us, not thrown by DuckDB). */
export class QueryFailedError extends Error {
  constructor(readonly failure: QueryFailure) {
    super(failure.reason);
    this.name = 'QueryFailedError';
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

/** The query read more than the workgroup's BytesScannedCutoffPerQuery. */
export class BytesLimitExceededError extends Error {
  constructor(readonly bytes: number) {
    super('Bytes scanned limit was exceeded');
    this.name = 'BytesLimitExceededError';
  }
}

const fail = (code: string, message: string, ddl = false) =>
  new QueryFailedError(userFailure(code, message, { ddl }));

export async function runStatement(ctx: RunContext): Promise<RunOutcome> {
  const s = ctx.statement;
  switch (s.kind) {
    case 'engine':
      return s.what === 'query' ? runQuery(ctx, s.sql) : runViewDdl(ctx, s.sql);
    case 'ctas':
      return runCtas(ctx, s);
    case 'insert':
      return runInsert(ctx, s);
    case 'createExternalTable': {
      ctx.onEngineStart();
      const database = s.table.database ?? ctx.database;
      await requireDatabase(ctx, database, true);
      const spec = specFromCreate(s, database);
      await ctx.engine.exclusive(async () => {
        if (await relationExists(ctx, database, spec.name)) {
          if (s.ifNotExists) return;
          throw fail('ALREADY_EXISTS', `Table ${database}.${spec.name} already exists`, true);
        }
        await ctx.engine.registerTable(ctx.connection, spec);
      });
      return ddlOutcome(ctx);
    }
    case 'createDatabase':
      ctx.onEngineStart();
      await ctx.engine.exclusive(async () => {
        if (await ctx.engine.databaseExists(s.name)) {
          if (s.ifNotExists) return;
          throw fail('ALREADY_EXISTS', `Database ${s.name} already exists`, true);
        }
        await ctx.connection.run(`CREATE SCHEMA ${quoteIdent(s.name)}`);
      });
      return ddlOutcome(ctx);
    case 'dropDatabase':
      ctx.onEngineStart();
      await ctx.engine.exclusive(async () => {
        if (!(await ctx.engine.databaseExists(s.name))) {
          if (s.ifExists) return;
          throw fail('SCHEMA_NOT_FOUND', `Database ${s.name} does not exist`, true);
        }
        if (s.name === 'default') throw fail('INVALID_INPUT', 'Can not drop default database', true);
        if (!s.cascade && (await ctx.engine.relations(s.name)).length > 0) {
          throw fail('INVALID_INPUT', `Database ${s.name} is not empty. One or more tables exist.`, true);
        }
        await ctx.engine.dropDatabase(ctx.connection, s.name);
      });
      return ddlOutcome(ctx);
    case 'dropTable': {
      ctx.onEngineStart();
      const database = s.table.database ?? ctx.database;
      await ctx.engine.exclusive(async () => {
        if (ctx.engine.table(database, s.table.name)) {
          await ctx.engine.dropTable(ctx.connection, database, s.table.name);
        } else if (await ctx.engine.viewDefinition(database, s.table.name)) {
          throw fail(
            'INVALID_INPUT',
            `Cannot drop a view with DROP TABLE: use DROP VIEW ${s.table.name}`,
            true,
          );
        } else if (!s.ifExists) {
          throw fail('TABLE_NOT_FOUND', `Table ${database}.${s.table.name} does not exist`, true);
        }
      });
      return ddlOutcome(ctx);
    }
    case 'repairTable':
    case 'alterPartitions':
      // Partitions are read from hive-style paths at query time: there is nothing to register.
      ctx.onEngineStart();
      requireTable(ctx, s.table);
      return ddlOutcome(ctx);
    case 'showTables': {
      ctx.onEngineStart();
      const database = s.database ?? ctx.database;
      await requireDatabase(ctx, database, false);
      const matches = hivePatternMatcher(s.pattern);
      const names = (await ctx.engine.relations(database))
        .filter((r) => (!s.viewsOnly || r.kind === 'view') && matches(r.name))
        .map((r) => r.name);
      return utilityOutcome(ctx, s.viewsOnly ? 'views' : 'tab_name', names);
    }
    case 'showDatabases': {
      ctx.onEngineStart();
      const matches = hivePatternMatcher(s.pattern);
      return utilityOutcome(ctx, 'database_name', (await ctx.engine.databases()).filter(matches));
    }
    case 'showColumns': {
      ctx.onEngineStart();
      const columns = await describeColumns(ctx, s.table);
      return utilityOutcome(
        ctx,
        'field',
        columns.map((c) => c.name),
      );
    }
    case 'describe': {
      ctx.onEngineStart();
      const columns = await describeColumns(ctx, s.table);
      const row = (a: string, b: string, c: string) => `${a.padEnd(20)}\t${b.padEnd(20)}\t${c.padEnd(20)}`;
      const lines = columns.filter((c) => !c.partition).map((c) => row(c.name, c.type, c.comment));
      const partitions = columns.filter((c) => c.partition);
      if (partitions.length > 0) {
        lines.push(
          '\t \t ',
          '# Partition Information\t \t ',
          row('# col_name', 'data_type', 'comment'),
          '\t \t ',
        );
        lines.push(...partitions.map((c) => row(c.name, c.type, c.comment)));
      }
      return utilityOutcome(ctx, 'col_name', lines);
    }
    case 'showCreateTable': {
      ctx.onEngineStart();
      const database = s.table.database ?? ctx.database;
      const spec = ctx.engine.table(database, s.table.name);
      const view = spec ? undefined : await ctx.engine.viewDefinition(database, s.table.name);
      if (!spec && !view) throw fail('TABLE_NOT_FOUND', `Table ${database}.${s.table.name} does not exist`);
      const text = spec ? showCreateTable(spec) : view!.replace(/;\s*$/, '');
      return utilityOutcome(ctx, 'createtab_stmt', text.split('\n'));
    }
    case 'showPartitions': {
      ctx.onEngineStart();
      const spec = requireTable(ctx, s.table);
      const names = spec.partitionColumns.map((c) => c.name);
      if (names.length === 0)
        throw fail('NOT_SUPPORTED', `Table ${spec.database}.${spec.name} is not partitioned`);
      const root = ctx.engine.localDir(spec);
      const partitions = new Set<string>();
      for (const file of visibleFiles(root)) {
        const dirs = file.slice(root.replace(/\/?$/, '/').length).split('/').slice(0, -1);
        const values = names.map((name) => dirs.find((d) => d.toLowerCase().startsWith(`${name}=`)));
        if (values.every(Boolean)) partitions.add(values.join('/'));
      }
      return utilityOutcome(ctx, 'partition', [...partitions].sort());
    }
    case 'showTblProperties': {
      ctx.onEngineStart();
      const spec = requireTable(ctx, s.table);
      const lines = Object.entries(spec.tableProperties).map(([k, v]) => `${k}\t${v}`);
      return utilityOutcome(ctx, 'prpt_name', lines);
    }
  }
}

async function runQuery(ctx: RunContext, sql: string): Promise<RunOutcome> {
  const translation = translateQuery(sql, ctx.parameters);
  const { regexCaches } = await ctx.engine.prepareTables(ctx.connection, translation.sql);
  await startProfiling(ctx);
  ctx.onEngineStart();
  const resultFile = ctx.resultPath;
  const writer = new ResultFileWriter(resultFile, 'csv');
  try {
    let result: Awaited<ReturnType<DuckDBConnection['stream']>>;
    try {
      result = await ctx.connection.stream(translation.sql);
    } catch (error) {
      throw new EngineError(error, translation.sql, translation.map);
    }
    const names = athenaColumnNames(result.columnNames(), sql);
    const types = result.columnTypes();
    await writer.writeRow(names);
    try {
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        for (const row of chunk.getRows())
          await writer.writeRow(row.map((value, i) => formatValue(value, types[i])));
      }
    } catch (error) {
      throw new EngineError(error, translation.sql, translation.map);
    }
    await writer.close();
    const bytes = await finishProfiling(ctx, regexCaches);
    if (ctx.bytesScannedCutoff !== undefined && bytes > ctx.bytesScannedCutoff)
      throw new BytesLimitExceededError(bytes);
    return {
      resultFile,
      resultFormat: 'csv',
      columns: names.map((name, i) => columnInfo(name, types[i])),
      dataScannedBytes: bytes,
    };
  } catch (error) {
    await writer.close().catch(() => undefined);
    rmSync(resultFile, { force: true });
    throw error;
  }
}

/**
 * Athena (Trino) lower-cases result column names and names unnamed expressions `_col0`, `_col1`...
 * DuckDB names them after their text (`count_star()`); such names are replaced unless the query
 * gave that exact alias.
 */
function athenaColumnNames(names: readonly string[], sql: string): string[] {
  const tokens = tokenize(sql).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  const aliases = new Set<string>();
  tokens.forEach((t, i) => {
    const next = tokens[i + 1];
    if (t.kind === 'word' && t.text.toUpperCase() === 'AS' && next) {
      aliases.add(
        (next.kind === 'quoted' ? next.text.slice(1, -1).replace(/""/g, '"') : next.text).toLowerCase(),
      );
    }
  });
  return names.map((name, i) => {
    const lower = name.toLowerCase();
    if (aliases.has(lower)) return lower;
    // VALUES columns are col0, col1... in DuckDB and _col0, _col1... in Athena.
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !/^col\d+$/.test(lower) ? lower : `_col${i}`;
  });
}

async function startProfiling(ctx: RunContext): Promise<void> {
  ctx.signal.throwIfAborted();
  rmSync(ctx.profilePath, { force: true });
  await ctx.connection.run("PRAGMA enable_profiling = 'json'");
  await ctx.connection.run(`SET profiling_output = ${quoteLiteral(ctx.profilePath)}`);
  await ctx.connection.run(
    `SET custom_profiling_settings = '{"EXTRA_INFO": "true", "OPERATOR_TYPE": "true", "OPERATOR_NAME": "true"}'`,
  );
}

/**
 * Stops profiling and returns the bytes the profiled statement read (see data-scanned.ts).
 * `regexCaches`: the parse caches of the RegexSerDe tables the statement names. DuckDB may answer
 * from Parquet statistics alone (no scan at all), where Athena reads the log text: such a table is
 * billed its log files.
 */
async function finishProfiling(ctx: RunContext, regexCaches: readonly string[] = []): Promise<number> {
  let profile: unknown;
  try {
    profile = JSON.parse(readFileSync(ctx.profilePath, 'utf8'));
  } catch {
    profile = undefined;
  }
  await ctx.connection.run('PRAGMA disable_profiling');
  rmSync(ctx.profilePath, { force: true });
  const scans = scansInProfile(profile);
  for (const dir of regexCaches) {
    if (!scans.some((scan) => scan.patterns.some((p) => p.startsWith(dir)))) {
      scans.push({ reader: 'READ_PARQUET', patterns: [`${dir}/`], columns: [], filters: '' });
    }
  }
  return bytesScanned(ctx.connection, scans, (pattern) => ctx.engine.billedScan(pattern));
}

async function runViewDdl(ctx: RunContext, sql: string): Promise<RunOutcome> {
  const translation = translateQuery(sql);
  const cursor = new TokenCursor(translation.sql, tokenize(translation.sql));
  const creating = cursor.acceptWords('CREATE');
  if (creating) cursor.acceptWords('OR', 'REPLACE');
  else cursor.expectWords('DROP');
  cursor.expectWords('VIEW');
  if (!creating) cursor.acceptWords('IF', 'EXISTS');
  const first = cursor.expectIdentifier('a view name').toLowerCase();
  const second = cursor.acceptPunct('.') ? cursor.expectIdentifier('a view name').toLowerCase() : undefined;
  const database = second ? first : ctx.database;
  const name = second ?? first;
  ctx.onEngineStart();
  await requireDatabase(ctx, database, true);
  await ctx.engine.exclusive(async () => {
    if (ctx.engine.table(database, name)) {
      throw fail(
        'INVALID_INPUT',
        creating
          ? `Table ${database}.${name} already exists`
          : `${database}.${name} is a table: use DROP TABLE`,
        true,
      );
    }
    try {
      await ctx.connection.run(translation.sql);
    } catch (error) {
      throw new EngineError(error, translation.sql, translation.map);
    }
  });
  return ddlOutcome(ctx);
}

interface WritePlan {
  readonly format: 'parquet' | 'json' | 'lazysimple';
  readonly fieldDelimiter: string;
  readonly compression: string;
}

function copyOptions(plan: WritePlan, partitions: readonly string[], filenamePattern?: string): string {
  const options =
    plan.format === 'parquet'
      ? [`FORMAT parquet`, `COMPRESSION ${plan.compression}`]
      : plan.format === 'json'
        ? ['FORMAT json', `COMPRESSION ${plan.compression}`]
        : [
            'FORMAT csv',
            `DELIMITER ${quoteLiteral(plan.fieldDelimiter)}`,
            'HEADER false',
            "QUOTE ''",
            "ESCAPE ''",
            "NULLSTR '\\N'",
            `COMPRESSION ${plan.compression}`,
          ];
  if (partitions.length > 0) {
    options.push(`PARTITION_BY (${partitions.map(quoteIdent).join(', ')})`, 'OVERWRITE_OR_IGNORE');
    if (filenamePattern) options.push(`FILENAME_PATTERN ${quoteLiteral(filenamePattern)}`);
  }
  return options.join(', ');
}

function extension(plan: WritePlan): string {
  const compressed = plan.compression === 'gzip' ? '.gz' : plan.compression === 'zstd' ? '.zst' : '';
  return plan.format === 'parquet'
    ? '.parquet'
    : plan.format === 'json'
      ? `.json${compressed}`
      : compressed || '.txt';
}

async function describeQuery(
  ctx: RunContext,
  engineSql: string,
  map: PositionMap,
): Promise<{ names: string[]; types: DuckDBType[] }> {
  try {
    const prepared = await ctx.connection.prepare(engineSql);
    const names: string[] = [];
    const types: DuckDBType[] = [];
    for (let i = 0; i < prepared.columnCount; i++) {
      names.push(prepared.columnName(i));
      types.push(prepared.columnType(i));
    }
    prepared.destroySync();
    return { names, types };
  } catch (error) {
    throw new EngineError(error, engineSql, map);
  }
}

async function runCtas(ctx: RunContext, s: CreateTableAsSelect): Promise<RunOutcome> {
  const database = s.table.database ?? ctx.database;
  await requireDatabase(ctx, database, true);
  const translation = translateQuery(s.query, ctx.parameters, s.queryOffset);
  if (await relationExists(ctx, database, s.table.name)) {
    if (s.ifNotExists) {
      ctx.onEngineStart();
      return rowsOutcome(ctx, 0, 0);
    }
    throw fail('ALREADY_EXISTS', `Table ${database}.${s.table.name} already exists`);
  }
  const prop = (name: string) => {
    const value = s.properties[name];
    return Array.isArray(value) ? value.join(',') : (value as string | undefined);
  };
  const formatName = (prop('format') ?? 'PARQUET').toUpperCase();
  const formats: Record<string, WritePlan['format']> = {
    PARQUET: 'parquet',
    JSON: 'json',
    TEXTFILE: 'lazysimple',
  };
  const format = formats[formatName];
  if (!format)
    throw fail(
      'NOT_SUPPORTED',
      `CTAS format ${formatName} is not supported locally (PARQUET, JSON or TEXTFILE)`,
    );
  const compression = (prop('write_compression') ?? prop('parquet_compression') ?? 'GZIP').toLowerCase();
  if (!['gzip', 'snappy', 'zstd', 'none', 'uncompressed'].includes(compression)) {
    throw fail('INVALID_TABLE_PROPERTY', `write_compression ${compression} is not supported locally`);
  }
  const plan: WritePlan = {
    format,
    fieldDelimiter: prop('field_delimiter') ?? '\u0001',
    compression: compression === 'none' ? 'uncompressed' : compression,
  };
  const location = asPrefix(prop('external_location') ?? `${ctx.outputLocation}tables/${ctx.id}/`);
  const localDir = s3UriToLocalPath(ctx.engine.s3Root, location);
  if (hasVisibleFile(localDir)) {
    throw fail(
      'HIVE_PATH_ALREADY_EXISTS',
      `Target directory for table '${database}.${s.table.name}' already exists: ${location}`,
    );
  }
  const partitioned =
    (s.properties.partitioned_by as readonly string[] | undefined)?.map((p) => p.toLowerCase()) ?? [];
  const { regexCaches } = await ctx.engine.prepareTables(ctx.connection, translation.sql);
  const described = await describeQuery(ctx, translation.sql, translation.map);
  const names = described.names.map((n) => n.toLowerCase());
  const tail = names.slice(names.length - partitioned.length);
  if (partitioned.length > 0 && tail.join(',') !== partitioned.join(',')) {
    throw fail(
      'INVALID_TABLE_PROPERTY',
      `Partition columns [${partitioned.join(', ')}] must be the last columns of the query, in that order (got [${names.join(', ')}])`,
    );
  }
  const columns: ColumnSpec[] = names.map((name, i) => ({ name, type: duckDbToHive(described.types[i]) }));
  let rows = 0;
  let bytes = 0;
  mkdirSync(localDir, { recursive: true });
  try {
    if (s.withData) {
      const target = partitioned.length > 0 ? localDir : join(localDir, `${ctx.id}_00000${extension(plan)}`);
      const prefix = 'COPY (';
      const copy = `${prefix}${translation.sql}) TO ${quoteLiteral(target)} (${copyOptions(plan, partitioned, `${ctx.id}_{i}`)})`;
      ({ rows, bytes } = await runCopy(ctx, copy, shiftMap(translation.map, prefix.length), regexCaches));
    } else {
      ctx.onEngineStart();
    }
    const spec = specForWrittenTable({
      database,
      name: s.table.name,
      columns: columns.slice(0, columns.length - partitioned.length),
      partitionColumns: columns.slice(columns.length - partitioned.length),
      format,
      fieldDelimiter: plan.fieldDelimiter,
      location,
    });
    await ctx.engine.exclusive(async () => {
      if (await relationExists(ctx, database, s.table.name)) {
        throw fail('ALREADY_EXISTS', `Table ${database}.${s.table.name} already exists`);
      }
      await ctx.engine.registerTable(ctx.connection, spec);
    });
  } catch (error) {
    removeWrittenFiles(localDir, ctx.id);
    throw error;
  }
  return rowsOutcome(ctx, rows, bytes);
}

async function runInsert(ctx: RunContext, s: InsertInto): Promise<RunOutcome> {
  const spec = requireTable(ctx, s.table);
  if (spec.format === 'regex') {
    throw fail(
      'NOT_SUPPORTED',
      `Inserting into ${spec.database}.${spec.name} is not supported: RegexSerDe tables are read-only`,
    );
  }
  if (spec.format === 'opencsv') {
    throw fail(
      'NOT_SUPPORTED',
      `Inserting into ${spec.database}.${spec.name} is not supported locally: OpenCSVSerde tables are read-only`,
    );
  }
  const format = spec.format;
  const translation = translateQuery(s.query, ctx.parameters, s.queryOffset);
  const { regexCaches } = await ctx.engine.prepareTables(ctx.connection, translation.sql);
  const described = await describeQuery(ctx, translation.sql, translation.map);
  const all = [...spec.columns, ...spec.partitionColumns];
  const targets = s.columns ?? all.map((c) => c.name);
  for (const name of targets) {
    if (!all.some((c) => c.name === name))
      throw fail('COLUMN_NOT_FOUND', `Insert column name does not exist: ${name}`);
  }
  if (targets.length !== described.names.length) {
    throw fail(
      'TYPE_MISMATCH',
      `Insert query has mismatched column types: Table: [${targets
        .map((t) => hiveTypeText(all.find((c) => c.name === t)!.type))
        .join(', ')}], Query: [${described.types.map((t) => hiveTypeText(duckDbToHive(t))).join(', ')}]`,
    );
  }
  const aliases = described.names.map((_, i) => `c${i}`);
  const select = all
    .map((c) => {
      const at = targets.indexOf(c.name);
      return `CAST(${at >= 0 ? aliases[at] : 'NULL'} AS ${hiveToDuckDb(c.type)}) AS ${quoteIdent(c.name)}`;
    })
    .join(', ');
  const plan: WritePlan = {
    format,
    fieldDelimiter:
      spec.serdeProperties['field.delim'] ?? spec.serdeProperties['serialization.format'] ?? '\u0001',
    compression: 'gzip',
  };
  const localDir = ctx.engine.localDir(spec);
  const partitions = spec.partitionColumns.map((c) => c.name);
  const target = partitions.length > 0 ? localDir : join(localDir, `${ctx.id}_00000${extension(plan)}`);
  const prefix = `COPY (SELECT ${select} FROM (`;
  const copy = `${prefix}${translation.sql}) AS __q(${aliases.join(', ')})) TO ${quoteLiteral(target)} (${copyOptions(plan, partitions, `${ctx.id}_{i}`)})`;
  mkdirSync(localDir, { recursive: true });
  let rows: number;
  let bytes: number;
  try {
    ({ rows, bytes } = await runCopy(ctx, copy, shiftMap(translation.map, prefix.length), regexCaches));
  } catch (error) {
    removeWrittenFiles(localDir, ctx.id);
    throw error;
  }
  return rowsOutcome(ctx, rows, bytes);
}

/**
 * Runs the COPY of a CTAS or INSERT under the profiler: the rows written and the bytes scanned, or the
 * engine's error mapped back to the user's SQL, or the scan cutoff passed.
 */
async function runCopy(
  ctx: Parameters<typeof startProfiling>[0],
  copy: string,
  map: Parameters<typeof shiftMap>[0],
  regexCaches: Parameters<typeof finishProfiling>[1],
): Promise<{ rows: number; bytes: number }> {
  await startProfiling(ctx);
  ctx.onEngineStart();
  let rows: number;
  try {
    rows = Number((await ctx.connection.runAndReadAll(copy)).getRows()[0]?.[0] ?? 0);
  } catch (error) {
    throw new EngineError(error, copy, map);
  }
  const bytes = await finishProfiling(ctx, regexCaches);
  if (ctx.bytesScannedCutoff !== undefined && bytes > ctx.bytesScannedCutoff)
    throw new BytesLimitExceededError(bytes);
  return { rows, bytes };
}

/** Removes the files a CTAS or INSERT wrote (their names start with the query id). */
function removeWrittenFiles(dir: string, id: string): void {
  for (const file of visibleFiles(dir))
    if (file.split('/').pop()!.startsWith(id)) rmSync(file, { force: true });
}

async function rowsOutcome(ctx: RunContext, rows: number, bytes: number): Promise<RunOutcome> {
  const resultFile = ctx.resultPath;
  const writer = new ResultFileWriter(resultFile, 'csv');
  await writer.writeRow(['rows']);
  await writer.writeRow([String(rows)]);
  await writer.close();
  return {
    resultFile,
    resultFormat: 'csv',
    columns: [{ ...stringColumnInfo('rows'), Type: 'bigint', Precision: 19, CaseSensitive: false }],
    dataScannedBytes: bytes,
    updateCount: rows,
  };
}

async function ddlOutcome(ctx: RunContext): Promise<RunOutcome> {
  return utilityOutcome(ctx, undefined, []);
}

async function utilityOutcome(
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

async function requireDatabase(ctx: RunContext, database: string, ddl: boolean): Promise<void> {
  if (!(await ctx.engine.databaseExists(database))) {
    throw fail('SCHEMA_NOT_FOUND', `Database ${database} does not exist`, ddl);
  }
}

async function relationExists(ctx: RunContext, database: string, name: string): Promise<boolean> {
  return (await ctx.engine.relations(database)).some((r) => r.name === name);
}

function requireTable(ctx: RunContext, table: QualifiedName): TableSpec {
  const database = table.database ?? ctx.database;
  const spec = ctx.engine.table(database, table.name);
  if (!spec) throw fail('TABLE_NOT_FOUND', `Table ${database}.${table.name} does not exist`);
  return spec;
}

async function describeColumns(
  ctx: RunContext,
  table: QualifiedName,
): Promise<{ name: string; type: string; comment: string; partition: boolean }[]> {
  const database = table.database ?? ctx.database;
  const spec = ctx.engine.table(database, table.name);
  if (spec) {
    const column = (partition: boolean) => (c: ColumnSpec) => ({
      name: c.name,
      type: hiveTypeText(c.type),
      comment: c.comment ?? '',
      partition,
    });
    return [...spec.columns.map(column(false)), ...spec.partitionColumns.map(column(true))];
  }
  if (!(await ctx.engine.viewDefinition(database, table.name))) {
    throw fail('TABLE_NOT_FOUND', `Table ${database}.${table.name} does not exist`);
  }
  const prepared = await ctx.connection.prepare(
    `SELECT * FROM ${quoteIdent(database)}.${quoteIdent(table.name)} LIMIT 0`,
  );
  const columns = [];
  for (let i = 0; i < prepared.columnCount; i++) {
    columns.push({
      name: prepared.columnName(i).toLowerCase(),
      type: hiveTypeText(duckDbToHive(prepared.columnType(i))),
      comment: '',
      partition: false,
    });
  }
  prepared.destroySync();
  return columns;
}

/** Converts whatever runStatement threw into Athena's failure shape. */
export function toFailure(error: unknown, userSql: string, ddl: boolean): QueryFailure {
  if (error instanceof QueryFailedError) return error.failure;
  if (error instanceof EngineError) {
    return failureFromError(error.cause, { userSql, engineSql: error.engineSql, map: error.map, ddl });
  }
  return failureFromError(error, { userSql, ddl });
}
