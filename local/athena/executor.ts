/**
 * Runs one parsed statement on its own DuckDB connection and writes its result file. Errors are
 * thrown as they come (the runner turns them into Athena failures); the scan limit is checked on
 * the bytes the profiler says were read.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type DuckDBPreparedStatement, type DuckDBType, StatementType } from '@duckdb/node-api';
import { bytesScanned, scansInProfile } from './data-scanned';
import type { AthenaEngine } from './engine';
import {
  EngineError,
  failureFromError,
  type PositionMap,
  QueryFailedError,
  type QueryFailure,
  userFailure,
} from './errors';
import { hasVisibleFile, visibleFiles } from './files';
import { duckDbToHive, hiveToDuckDb, hiveTypeText, quoteIdent, quoteLiteral } from './hive-types';
import { ResultFileWriter } from './result-files';
import { type AthenaColumnInfo, columnInfo, formatValue, stringColumnInfo } from './result-format';
import { asPrefix, s3UriToLocalPath } from './s3-paths';
import type { Sandbox } from './sandbox';
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
import { prepareUserQuery, prepareWrapped } from './user-sql';

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
      refuseResultsLocation(ctx, spec.location, true);
      await ctx.engine.exclusive(async () => {
        if (await relationExists(ctx, database, spec.name)) {
          if (s.ifNotExists) return;
          throw fail('ALREADY_EXISTS', `Table ${database}.${spec.name} already exists`, true);
        }
        await ctx.engine.registerTable(spec);
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
        await ctx.engine.createDatabase(s.name);
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
        await ctx.engine.dropDatabase(s.name);
      });
      return ddlOutcome(ctx);
    case 'dropTable': {
      ctx.onEngineStart();
      const database = s.table.database ?? ctx.database;
      await ctx.engine.exclusive(async () => {
        if (ctx.engine.table(database, s.table.name)) {
          await ctx.engine.dropTable(database, s.table.name);
        } else if (ctx.engine.view(database, s.table.name)) {
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
      const view = spec ? undefined : ctx.engine.view(database, s.table.name);
      if (!spec && !view) throw fail('TABLE_NOT_FOUND', `Table ${database}.${s.table.name} does not exist`);
      const text = spec ? showCreateTable(spec) : view!.text;
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
  const { regexCaches } = await ctx.engine.prepareTables(translation.sql);
  const box = await openSandbox(ctx);
  const prepared = await prepareUserQuery(box, { ...translation, userSql: ctx.userSql });
  const resultFile = ctx.resultPath;
  const writer = new ResultFileWriter(resultFile, 'csv');
  try {
    ctx.onEngineStart();
    box.clearProfile();
    let result: Awaited<ReturnType<DuckDBPreparedStatement['stream']>>;
    try {
      result = await prepared.stream();
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
    const bytes = await finishProfiling(ctx, box, regexCaches);
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
  } finally {
    prepared.destroySync();
  }
}

/** The statement's sandbox, resolving unqualified names in the query's database. */
async function openSandbox(ctx: RunContext, writableDirs?: readonly string[]): Promise<Sandbox> {
  const box = await ctx.sandbox(writableDirs);
  await box.useDatabase(ctx.database);
  return box;
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

/**
 * The bytes the statement just run in `box` read, from its profile (see data-scanned.ts).
 * `regexCaches`: the parse caches of the RegexSerDe tables the statement names. DuckDB may answer
 * from Parquet statistics alone (no scan at all), where Athena reads the log text: such a table is
 * billed its log files.
 */
async function finishProfiling(
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

/** CREATE [OR REPLACE] VIEW and DROP VIEW: views are stored in the catalog and built in every sandbox. */
async function runViewDdl(ctx: RunContext, sql: string): Promise<RunOutcome> {
  const cursor = new TokenCursor(sql, tokenize(sql));
  const creating = cursor.acceptWords('CREATE');
  const replace = creating && cursor.acceptWords('OR', 'REPLACE');
  if (!creating) cursor.expectWords('DROP');
  cursor.expectWords('VIEW');
  const ifExists = !creating && cursor.acceptWords('IF', 'EXISTS');
  const parts = [cursor.expectIdentifier('a view name').toLowerCase()];
  while (cursor.acceptPunct('.')) parts.push(cursor.expectIdentifier('a view name').toLowerCase());
  if (parts.length === 3 && parts[0] === 'awsdatacatalog') parts.shift();
  if (parts.length > 2) throw fail('SYNTAX_ERROR', `Too many parts in view name ${parts.join('.')}`, true);
  const database = parts.length === 2 ? parts[0] : ctx.database;
  const name = parts[parts.length - 1];
  await requireDatabase(ctx, database, true);
  if (!creating) {
    cursor.expectEnd();
    ctx.onEngineStart();
    await ctx.engine.exclusive(async () => {
      if (ctx.engine.table(database, name))
        throw fail('INVALID_INPUT', `${database}.${name} is a table: use DROP TABLE`, true);
      if (!ctx.engine.view(database, name)) {
        if (ifExists) return;
        throw fail('TABLE_NOT_FOUND', `View ${database}.${name} does not exist`, true);
      }
      await ctx.engine.dropView(database, name);
    });
    return ddlOutcome(ctx);
  }
  // Trino's COMMENT and SECURITY clauses have no local effect.
  if (cursor.acceptWords('COMMENT')) cursor.next();
  if (cursor.acceptWords('SECURITY')) cursor.next();
  cursor.expectWords('AS');
  const queryOffset = cursor.position;
  const translation = translateQuery(sql.slice(queryOffset), [], queryOffset);
  // The query passes the checks of any query (and binds) before it is stored.
  const box = await openSandbox(ctx);
  const prepared = await prepareUserQuery(box, { ...translation, userSql: ctx.userSql });
  prepared.destroySync();
  ctx.onEngineStart();
  await ctx.engine.exclusive(async () => {
    if (ctx.engine.table(database, name))
      throw fail('INVALID_INPUT', `Table ${database}.${name} already exists`, true);
    if (ctx.engine.view(database, name) && !replace)
      throw fail('ALREADY_EXISTS', `View ${database}.${name} already exists`, true);
    await ctx.engine.saveView({
      database,
      name,
      sql: `CREATE VIEW ${quoteIdent(database)}.${quoteIdent(name)} AS\n${translation.sql}`,
      text: ctx.userSql.trim().replace(/;\s*$/, ''),
    });
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

/** Checks a user query in `box` and returns its result columns (for CTAS and INSERT). */
async function describeQuery(
  box: Sandbox,
  query: { sql: string; map: PositionMap; userSql: string },
): Promise<{ names: string[]; types: DuckDBType[] }> {
  const prepared = await prepareUserQuery(box, query);
  const names: string[] = [];
  const types: DuckDBType[] = [];
  for (let i = 0; i < prepared.columnCount; i++) {
    names.push(prepared.columnName(i));
    types.push(prepared.columnType(i));
  }
  prepared.destroySync();
  return { names, types };
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
  const external = prop('external_location');
  const location = asPrefix(external ?? `${ctx.outputLocation}tables/${ctx.id}/`);
  if (external) refuseResultsLocation(ctx, location, false);
  const localDir = s3UriToLocalPath(ctx.engine.s3Root, location);
  if (hasVisibleFile(localDir)) {
    throw fail(
      'HIVE_PATH_ALREADY_EXISTS',
      `Target directory for table '${database}.${s.table.name}' already exists: ${location}`,
    );
  }
  const partitioned =
    (s.properties.partitioned_by as readonly string[] | undefined)?.map((p) => p.toLowerCase()) ?? [];
  const { regexCaches } = await ctx.engine.prepareTables(translation.sql);
  // The only sandbox that may write: to this table's new location.
  const box = await openSandbox(ctx, [localDir]);
  const described = await describeQuery(box, { ...translation, userSql: ctx.userSql });
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
      const prefix = 'COPY (\n';
      const copy = `${prefix}${translation.sql}\n) TO ${quoteLiteral(target)} (${copyOptions(plan, partitioned, `${ctx.id}_{i}`)})`;
      ({ rows, bytes } = await runCopy(
        ctx,
        box,
        copy,
        shiftMap(translation.map, prefix.length),
        regexCaches,
      ));
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
      await ctx.engine.registerTable(spec);
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
  const { regexCaches } = await ctx.engine.prepareTables(translation.sql);
  // The table's location is one the sandbox may read, and so write.
  const box = await openSandbox(ctx);
  const described = await describeQuery(box, { ...translation, userSql: ctx.userSql });
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
  const prefix = `COPY (SELECT ${select} FROM (\n`;
  const copy = `${prefix}${translation.sql}\n) AS __q(${aliases.join(', ')})) TO ${quoteLiteral(target)} (${copyOptions(plan, partitions, `${ctx.id}_{i}`)})`;
  mkdirSync(localDir, { recursive: true });
  let rows: number;
  let bytes: number;
  try {
    ({ rows, bytes } = await runCopy(ctx, box, copy, shiftMap(translation.map, prefix.length), regexCaches));
  } catch (error) {
    removeWrittenFiles(localDir, ctx.id);
    throw error;
  }
  return rowsOutcome(ctx, rows, bytes);
}

/**
 * Runs the COPY of a CTAS or INSERT (the engine's wrapping of a checked query) under the profiler:
 * the rows written and the bytes scanned, or the engine's error mapped back to the user's SQL, or
 * the scan cutoff passed.
 */
async function runCopy(
  ctx: RunContext,
  box: Sandbox,
  copy: string,
  map: PositionMap,
  regexCaches: readonly string[],
): Promise<{ rows: number; bytes: number }> {
  const prepared = await prepareWrapped(box, { sql: copy, map, userSql: ctx.userSql }, StatementType.COPY);
  let rows: number;
  try {
    ctx.onEngineStart();
    box.clearProfile();
    rows = Number((await prepared.runAndReadAll()).getRows()[0]?.[0] ?? 0);
  } catch (error) {
    throw new EngineError(error, copy, map);
  } finally {
    prepared.destroySync();
  }
  const bytes = await finishProfiling(ctx, box, regexCaches);
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
  if (!ctx.engine.view(database, table.name)) {
    throw fail('TABLE_NOT_FOUND', `Table ${database}.${table.name} does not exist`);
  }
  const box = await openSandbox(ctx);
  const prepared = await box.helper.prepare(
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

/**
 * A table over a location that holds query results would let its readers read other queries'
 * results (on AWS, a class's IAM policy allows its own results prefix only).
 */
function refuseResultsLocation(ctx: RunContext, location: string, ddl: boolean): void {
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

/** Converts whatever runStatement threw into Athena's failure shape. */
export function toFailure(error: unknown, userSql: string, ddl: boolean): QueryFailure {
  if (error instanceof QueryFailedError) return error.failure;
  if (error instanceof EngineError) {
    return failureFromError(error.cause, { userSql, engineSql: error.engineSql, map: error.map, ddl });
  }
  return failureFromError(error, { userSql, ddl });
}
