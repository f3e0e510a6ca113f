/** CREATE TABLE AS SELECT and INSERT INTO: a checked query wrapped in DuckDB's COPY to the table's files. */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type DuckDBType, StatementType } from '@duckdb/node-api';
import { EngineError, type PositionMap } from './errors';
import { hasVisibleFile, visibleFiles } from './files';
import { duckDbToHive, hiveToDuckDb, hiveTypeText, quoteIdent, quoteLiteral } from './hive-types';
import { ResultFileWriter } from './result-files';
import { stringColumnInfo } from './result-format';
import { asPrefix, s3UriToLocalPath } from './s3-paths';
import type { Sandbox } from './sandbox';
import {
  BytesLimitExceededError,
  fail,
  finishProfiling,
  openSandbox,
  type RunContext,
  type RunOutcome,
  refuseResultsLocation,
  relationExists,
  requireDatabase,
  requireTable,
} from './statement-context';
import type { CreateTableAsSelect, InsertInto } from './statements';
import { type ColumnSpec, specForWrittenTable } from './tables';
import { shiftMap, translateQuery } from './translate';
import { prepareUserQuery, prepareWrapped } from './user-sql';

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

export async function runCtas(ctx: RunContext, s: CreateTableAsSelect): Promise<RunOutcome> {
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

export async function runInsert(ctx: RunContext, s: InsertInto): Promise<RunOutcome> {
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
