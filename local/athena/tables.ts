/**
 * Athena tables as DuckDB views. A table is a spec (columns, SerDe, location) stored in the catalog;
 * its view reads every file under the location at query time, so files added later are seen, as in
 * Athena. Each SerDe is translated to the DuckDB reader that gives Hive's answers:
 *
 * - RegexSerDe: lines, `regexp_extract` of the whole-line match (Hive uses Matcher.matches(): a line
 *   that does not match gives a row of NULLs), groups cast to the declared types. Regex capture is
 *   slow in RE2 (~0.1 ms a log line), so each file is parsed once into a Parquet cache
 *   (regex-cache.ts) that is brought up to date before every query that names the table.
 * - LazySimpleSerDe / ROW FORMAT DELIMITED: lines split on the field delimiter (extra fields ignored,
 *   missing ones NULL, `\N` is NULL), collections split on their delimiters.
 * - OpenCSVSerde: DuckDB's CSV reader with the SerDe's separator and quote (a doubled quote is a quote); every field is read
 *   as a string (empty stays empty) and cast to the declared type.
 * - JSON SerDes (OpenX, HCatalog): one JSON object per line; top-level keys match columns
 *   case-insensitively (both SerDes lower-case keys by default); `mapping.<column>` renames.
 * - Parquet: columns by name; partition columns from hive-style paths.
 *
 * Hidden files (names starting with `_` or `.`) are skipped, as Athena skips them.
 */

import {
  type HiveType,
  hiveToDuckDb,
  hiveTypeText,
  isPrimitive,
  quoteIdent,
  quoteLiteral,
} from './hive-types';
import type { CreateExternalTable } from './statements';
import { UnsupportedStatementError } from './statements';

export type TableFormat = 'regex' | 'opencsv' | 'lazysimple' | 'json' | 'parquet';

export interface ColumnSpec {
  readonly name: string;
  readonly type: HiveType;
  readonly comment?: string;
}

/** What the catalog stores for one table (plain JSON). */
export interface TableSpec {
  readonly database: string;
  readonly name: string;
  readonly columns: readonly ColumnSpec[];
  readonly partitionColumns: readonly ColumnSpec[];
  readonly format: TableFormat;
  readonly serde: string;
  readonly inputFormat: string;
  readonly outputFormat: string;
  readonly serdeProperties: Readonly<Record<string, string>>;
  readonly tableProperties: Readonly<Record<string, string>>;
  /** s3:// URI, ending with `/`. */
  readonly location: string;
  readonly comment?: string;
}

/** A CREATE TABLE that Athena would reject (bad SerDe properties, missing LOCATION...). */
export class TableDefinitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TableDefinitionError';
  }
}

const SERDES: Record<string, TableFormat> = {
  'org.apache.hadoop.hive.serde2.regexserde': 'regex',
  'org.apache.hadoop.hive.serde2.opencsvserde': 'opencsv',
  'org.apache.hadoop.hive.serde2.lazy.lazysimpleserde': 'lazysimple',
  'org.openx.data.jsonserde.jsonserde': 'json',
  'org.apache.hive.hcatalog.data.jsonserde': 'json',
  'org.apache.hadoop.hive.ql.io.parquet.serde.parquethiveserde': 'parquet',
};

const TEXT_INPUT = 'org.apache.hadoop.mapred.TextInputFormat';
const TEXT_OUTPUT = 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat';
const PARQUET_INPUT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat';
const PARQUET_OUTPUT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat';
const PARQUET_SERDE = 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe';
const LAZY_SIMPLE_SERDE = 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe';

/** Resolves CREATE [EXTERNAL] TABLE to a spec, or says why Athena (or the local engine) would refuse it. */
export function specFromCreate(statement: CreateExternalTable, database: string): TableSpec {
  if (!statement.external) {
    const iceberg = (statement.tableProperties.table_type ?? '').toUpperCase() === 'ICEBERG';
    throw iceberg
      ? new UnsupportedStatementError('Iceberg tables are not supported by the local Athena engine')
      : new TableDefinitionError(
          'Only external table creation is supported: write CREATE EXTERNAL TABLE ... LOCATION, or CREATE TABLE AS SELECT',
        );
  }
  if (statement.columns.length === 0) throw new TableDefinitionError('A table needs at least one column');
  if (!statement.location)
    throw new TableDefinitionError('CREATE EXTERNAL TABLE needs a LOCATION (s3://bucket/prefix/)');
  if (!/^s3:\/\/[^/]+/.test(statement.location)) {
    throw new TableDefinitionError(`LOCATION ${statement.location} is not an s3:// URI`);
  }
  const names = new Set<string>();
  for (const column of [...statement.columns, ...statement.partitionColumns]) {
    if (names.has(column.name)) throw new TableDefinitionError(`Column ${column.name} is declared twice`);
    names.add(column.name);
  }
  const stored = statement.storedAs;
  const input = statement.inputFormat ?? '';
  if (stored && !['PARQUET', 'TEXTFILE', 'JSONFILE'].includes(stored)) {
    throw new UnsupportedStatementError(
      `STORED AS ${stored} is not supported by the local Athena engine (use PARQUET, TEXTFILE or JSON)`,
    );
  }
  if (input && input !== TEXT_INPUT && input !== PARQUET_INPUT) {
    throw new UnsupportedStatementError(`INPUTFORMAT ${input} is not supported by the local Athena engine`);
  }
  let format: TableFormat;
  const serdeName = statement.serde ?? '';
  if (serdeName) {
    const known = SERDES[serdeName.toLowerCase()];
    if (!known)
      throw new UnsupportedStatementError(`SerDe ${serdeName} is not supported by the local Athena engine`);
    format = known;
  } else if (stored === 'PARQUET' || input === PARQUET_INPUT) {
    format = 'parquet';
  } else if (stored === 'JSONFILE') {
    format = 'json';
  } else {
    format = 'lazysimple';
  }
  const isParquet = format === 'parquet';
  if (isParquet && (stored === 'TEXTFILE' || input === TEXT_INPUT)) {
    throw new TableDefinitionError('ParquetHiveSerDe needs STORED AS PARQUET');
  }
  const serdeProperties: Record<string, string> = { ...statement.serdeProperties };
  if (statement.delimited) {
    const d = statement.delimited;
    if (d.field !== undefined) serdeProperties['field.delim'] = d.field;
    if (d.escape !== undefined) serdeProperties['escape.delim'] = d.escape;
    if (d.collection !== undefined) serdeProperties['collection.delim'] = d.collection;
    if (d.mapKey !== undefined) serdeProperties['mapkey.delim'] = d.mapKey;
    if (d.line !== undefined) serdeProperties['line.delim'] = d.line;
    if (d.nullFormat !== undefined) serdeProperties['serialization.null.format'] = d.nullFormat;
  }
  const spec: TableSpec = {
    database,
    name: statement.table.name,
    columns: statement.columns,
    partitionColumns: statement.partitionColumns,
    format,
    serde: serdeName || (isParquet ? PARQUET_SERDE : LAZY_SIMPLE_SERDE),
    inputFormat: isParquet ? PARQUET_INPUT : TEXT_INPUT,
    outputFormat: isParquet ? PARQUET_OUTPUT : TEXT_OUTPUT,
    serdeProperties,
    tableProperties: statement.tableProperties,
    location: statement.location.endsWith('/') ? statement.location : `${statement.location}/`,
    comment: statement.comment,
  };
  validateSpec(spec);
  return spec;
}

/** A spec for a table that CTAS wrote (Parquet, JSON or delimited text). */
export function specForWrittenTable(args: {
  database: string;
  name: string;
  columns: ColumnSpec[];
  partitionColumns: ColumnSpec[];
  format: 'parquet' | 'json' | 'lazysimple';
  fieldDelimiter?: string;
  location: string;
}): TableSpec {
  const isParquet = args.format === 'parquet';
  const serde =
    args.format === 'json'
      ? 'org.openx.data.jsonserde.JsonSerDe'
      : isParquet
        ? PARQUET_SERDE
        : LAZY_SIMPLE_SERDE;
  return {
    database: args.database,
    name: args.name,
    columns: args.columns,
    partitionColumns: args.partitionColumns,
    format: args.format,
    serde,
    inputFormat: isParquet ? PARQUET_INPUT : TEXT_INPUT,
    outputFormat: isParquet ? PARQUET_OUTPUT : TEXT_OUTPUT,
    serdeProperties: args.format === 'lazysimple' ? { 'field.delim': args.fieldDelimiter ?? '\u0001' } : {},
    tableProperties: {},
    location: args.location,
  };
}

function validateSpec(spec: TableSpec): void {
  const complex = spec.columns.filter((c) => !isPrimitive(c.type));
  if (spec.format === 'regex') {
    const regex = spec.serdeProperties['input.regex'];
    if (regex === undefined)
      throw new TableDefinitionError('RegexSerDe needs the SerDe property input.regex');
    const groups = countCaptureGroups(regex);
    if (groups !== spec.columns.length) {
      // Hive's own words (RegexSerDe.initialize).
      throw new TableDefinitionError(
        `Number of matching groups doesn't match the number of columns (input.regex has ${groups} groups, the table ${spec.columns.length} columns)`,
      );
    }
  }
  if ((spec.format === 'regex' || spec.format === 'opencsv') && complex.length > 0) {
    throw new TableDefinitionError(
      `${spec.format === 'regex' ? 'RegexSerDe' : 'OpenCSVSerde'} reads primitive columns only; ${complex[0].name} is ${hiveTypeText(complex[0].type)}`,
    );
  }
  if (spec.format === 'lazysimple') {
    for (const column of complex) {
      const nested =
        column.type.kind === 'array'
          ? [column.type.element]
          : column.type.kind === 'map'
            ? [column.type.key, column.type.value]
            : column.type.kind === 'struct'
              ? column.type.fields.map((f) => f.type)
              : [];
      if (!nested.every(isPrimitive)) {
        throw new UnsupportedStatementError(
          `Nested collections in delimited text (${column.name}) are not supported locally; use JSON or Parquet`,
        );
      }
    }
  }
  for (const column of spec.partitionColumns) {
    if (!isPrimitive(column.type))
      throw new TableDefinitionError(`Partition column ${column.name} must be a primitive type`);
  }
}

/** Counts capturing groups: `(` not escaped, not in a character class, not followed by `?`. */
export function countCaptureGroups(regex: string): number {
  let count = 0;
  let inClass = false;
  for (let i = 0; i < regex.length; i++) {
    const ch = regex[i];
    if (ch === '\\') {
      i++;
    } else if (inClass) {
      if (ch === ']') inClass = false;
    } else if (ch === '[') {
      inClass = true;
      if (regex[i + 1] === ']') i++;
      else if (regex[i + 1] === '^' && regex[i + 2] === ']') i += 2;
    } else if (ch === '(') {
      if (regex[i + 1] !== '?') count++;
      else if (regex[i + 2] === 'P' || (regex[i + 2] === '<' && regex[i + 3] !== '=' && regex[i + 3] !== '!'))
        count++;
    }
  }
  return count;
}

/** Where the table's files are: `<dir>/**` without hidden files. */
export function filesGlob(localDir: string): string {
  return `${localDir.replace(/\/+$/, '')}/**/[!._]*`;
}

/** The SELECT behind a table's view. With no files yet, an empty relation of the declared shape. */
export function viewSql(spec: TableSpec, localDir: string, hasFiles: boolean): string {
  const allColumns = [...spec.columns, ...spec.partitionColumns];
  if (!hasFiles) {
    return `SELECT ${allColumns.map((c) => `CAST(NULL AS ${hiveToDuckDb(c.type)}) AS ${quoteIdent(c.name)}`).join(', ')} WHERE false`;
  }
  const glob = quoteLiteral(filesGlob(localDir));
  const partitions = spec.partitionColumns.map((c) => quoteIdent(c.name));
  const hive = hiveOptions(spec);
  const skip = Number.parseInt(spec.tableProperties['skip.header.line.count'] ?? '0', 10) || 0;
  const withPartitions = (exprs: string[]) => [...exprs, ...partitions].join(',\n  ');
  const lines = () =>
    `read_csv(${glob}, columns = {'line': 'VARCHAR'}, header = false, auto_detect = false, delim = chr(0), ` +
    `quote = '', escape = '', strict_mode = false, skip = ${skip}, ${hive})`;

  switch (spec.format) {
    case 'parquet':
      return `SELECT ${withPartitions(spec.columns.map((c) => quoteIdent(c.name)))}\nFROM read_parquet(${glob}, union_by_name = true, ${hive})`;
    case 'regex':
      // Regex tables are read through their parse cache (regex-cache.ts); see regexParseSql.
      return regexCacheViewSql(spec, `${localDir.replace(/\/+$/, '')}/[!._]*.parquet`);
    case 'lazysimple': {
      const props = spec.serdeProperties;
      const field = props['field.delim'] ?? props['serialization.format'] ?? '\u0001';
      const collection = props['collection.delim'] ?? props['colelction.delim'] ?? '\u0002';
      const mapKey = props['mapkey.delim'] ?? '\u0003';
      const nullFormat = props['serialization.null.format'] ?? '\\N';
      const escapeChar = props['escape.delim'];
      const fieldLit = sqlChars(field);
      const split = escapeChar
        ? `string_split(replace(line, ${sqlChars(escapeChar + field)}, chr(0)), ${fieldLit})`
        : `string_split(line, ${fieldLit})`;
      const exprs = spec.columns.map((c, i) => {
        let raw = `__f[${i + 1}]`;
        if (escapeChar) raw = `replace(${raw}, chr(0), ${fieldLit})`;
        const value = `nullif(${raw}, ${sqlChars(nullFormat)})`;
        return `${castDelimited(value, c.type, sqlChars(collection), sqlChars(mapKey))} AS ${quoteIdent(c.name)}`;
      });
      return (
        `SELECT ${withPartitions(exprs)}\n` +
        `FROM (SELECT ${split} AS __f${partitions.map((p) => `, ${p}`).join('')}\n      FROM ${lines()})`
      );
    }
    case 'opencsv': {
      const props = spec.serdeProperties;
      const separator = props.separatorChar ?? ',';
      const quote = props.quoteChar ?? '"';
      // DuckDB's reader takes one escape character. OpenCSV reads a doubled quote as a quote whatever
      // its escapeChar, and doubled quotes are what CSV writers emit, so they win: a backslash before
      // a quote is not an escape here.
      const columns = spec.columns.map((_, i) => `'c${i + 1}': 'VARCHAR'`).join(', ');
      const exprs = spec.columns.map((c, i) => `${castText(`c${i + 1}`, c.type)} AS ${quoteIdent(c.name)}`);
      return (
        `SELECT ${withPartitions(exprs)}\n` +
        `FROM read_csv(${glob}, columns = {${columns}}, header = false, auto_detect = false, ` +
        `delim = ${sqlChars(separator)}, quote = ${sqlChars(quote)}, escape = ${sqlChars(quote)}, ` +
        `nullstr = chr(0), null_padding = true, strict_mode = false, skip = ${skip}, ${hive})`
      );
    }
    case 'json': {
      const props = spec.serdeProperties;
      const ignoreMalformed = (props['ignore.malformed.json'] ?? 'false').toLowerCase() === 'true';
      const exprs = spec.columns.map((c) => {
        const key = (props[`mapping.${c.name}`] ?? c.name).toLowerCase();
        const path = `'$."' || coalesce(__k[${quoteLiteral(key)}], ${quoteLiteral(key)}) || '"'`;
        const value =
          c.type.kind === 'primitive' && ['string', 'varchar', 'char'].includes(c.type.name)
            ? `json_extract_string(__j, ${path})`
            : `TRY_CAST(json_extract(__j, ${path}) AS ${hiveToDuckDb(c.type)})`;
        return `${value} AS ${quoteIdent(c.name)}`;
      });
      return (
        `SELECT ${withPartitions(exprs)}\n` +
        `FROM (SELECT json AS __j, map_from_entries(list_transform(json_keys(json), k -> {'key': lower(k), 'value': k})) AS __k` +
        `${partitions.map((p) => `, ${p}`).join('')}\n` +
        `      FROM read_json_objects(${glob}, format = 'newline_delimited', ignore_errors = ${ignoreMalformed}, ${hive}))`
      );
    }
  }
}

/**
 * Parses log files with a RegexSerDe table's regex: one row per line, typed columns, partition
 * columns, and `__src` (md5 of the file name) so that the rows of each file can be cached apart.
 * The whole-line match is captured as group `m`: Hive's RegexSerDe uses Matcher.matches(), so a
 * line that does not match entirely is a row of NULLs.
 */
export function regexParseSql(spec: TableSpec, files: readonly string[]): string {
  const regex = spec.serdeProperties['input.regex'];
  const names = ['m', ...spec.columns.map((_, i) => `c${i + 1}`)].map(quoteLiteral).join(', ');
  const anchored = quoteLiteral(`^((?:${regex}))$`);
  const partitions = spec.partitionColumns.map((c) => quoteIdent(c.name));
  const skip = Number.parseInt(spec.tableProperties['skip.header.line.count'] ?? '0', 10) || 0;
  const exprs = spec.columns.map((c, i) => `${castText(`__r.c${i + 1}`, c.type)} AS ${quoteIdent(c.name)}`);
  const carried = partitions.map((p) => `, ${p}`).join('');
  // The CASE is on the whole struct, one layer down: DuckDB then evaluates the regex once a line.
  return (
    `SELECT ${[...exprs, ...partitions, 'md5(filename) AS __src'].join(',\n  ')}\n` +
    `FROM (SELECT filename${carried}, CASE WHEN __m.m = line THEN __m END AS __r\n` +
    `      FROM (SELECT filename, line${carried}, regexp_extract(line, ${anchored}, [${names}]) AS __m\n` +
    `            FROM read_csv([${files.map(quoteLiteral).join(', ')}], columns = {'line': 'VARCHAR'}, header = false, ` +
    `auto_detect = false, delim = chr(0), quote = '', escape = '', strict_mode = false, skip = ${skip}, ` +
    `filename = true, ${hiveOptions(spec)})))`
  );
}

/** The view of a RegexSerDe table: its parsed rows, cached as Parquet. */
export function regexCacheViewSql(spec: TableSpec, cacheGlob: string): string {
  const columns = [...spec.columns, ...spec.partitionColumns].map((c) => quoteIdent(c.name));
  return `SELECT ${columns.join(', ')}\nFROM read_parquet(${quoteLiteral(cacheGlob)}, union_by_name = true, hive_partitioning = false)`;
}

function hiveOptions(spec: TableSpec): string {
  return spec.partitionColumns.length === 0
    ? 'hive_partitioning = false'
    : `hive_partitioning = true, hive_types = {${spec.partitionColumns
        .map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(hiveToDuckDb(c.type))}`)
        .join(', ')}}`;
}

/** A string field read from text, cast the way Hive's lazy objects parse it (bad values are NULL). */
function castText(expr: string, type: HiveType): string {
  if (type.kind !== 'primitive') return `TRY_CAST(${expr} AS ${hiveToDuckDb(type)})`;
  switch (type.name) {
    case 'string':
    case 'varchar':
    case 'char':
      return expr;
    case 'binary':
      return `TRY(from_base64(${expr}))`;
    case 'boolean':
      return `CASE lower(${expr}) WHEN 'true' THEN true WHEN 'false' THEN false END`;
    default:
      return `TRY_CAST(${expr} AS ${hiveToDuckDb(type)})`;
  }
}

function castDelimited(expr: string, type: HiveType, collection: string, mapKey: string): string {
  switch (type.kind) {
    case 'primitive':
      return castText(expr, type);
    case 'array':
      return `list_transform(string_split(${expr}, ${collection}), x -> ${castText('x', type.element)})`;
    case 'map':
      return (
        `map_from_entries(list_transform(string_split(${expr}, ${collection}), x -> ` +
        `{'key': ${castText(`split_part(x, ${mapKey}, 1)`, type.key)}, 'value': ${castText(`split_part(x, ${mapKey}, 2)`, type.value)}}))`
      );
    case 'struct':
      return `CASE WHEN ${expr} IS NOT NULL THEN {${type.fields
        .map(
          (f, i) =>
            `${quoteLiteral(f.name)}: ${castText(`string_split(${expr}, ${collection})[${i + 1}]`, f.type)}`,
        )
        .join(', ')}} END`;
  }
}

/** A string of arbitrary characters (control characters included) as a DuckDB expression. */
function sqlChars(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: Hive delimiters are control characters.
  if (!/[\u0000-\u001f]/.test(value)) return quoteLiteral(value);
  return `(${[...value].map((ch) => (ch.charCodeAt(0) < 32 ? `chr(${ch.charCodeAt(0)})` : quoteLiteral(ch))).join(' || ')})`;
}

/** DDL text for SHOW CREATE TABLE, in the layout Athena prints. */
export function showCreateTable(spec: TableSpec): string {
  const cols = (columns: readonly ColumnSpec[]) =>
    columns
      .map(
        (c) =>
          `  \`${c.name}\` ${hiveTypeText(c.type)}${c.comment ? ` COMMENT '${escapeHive(c.comment)}'` : ''}`,
      )
      .join(',\n');
  const props = (p: Readonly<Record<string, string>>) =>
    Object.entries(p)
      .map(([k, v]) => `  '${escapeHive(k)}'='${escapeHive(v)}'`)
      .join(',\n');
  const parts = [`CREATE EXTERNAL TABLE \`${spec.database}\`.\`${spec.name}\`(\n${cols(spec.columns)})`];
  if (spec.comment) parts.push(`COMMENT '${escapeHive(spec.comment)}'`);
  if (spec.partitionColumns.length > 0) parts.push(`PARTITIONED BY (\n${cols(spec.partitionColumns)})`);
  parts.push(`ROW FORMAT SERDE \n  '${spec.serde}' `);
  if (Object.keys(spec.serdeProperties).length > 0)
    parts.push(`WITH SERDEPROPERTIES ( \n${props(spec.serdeProperties)}) `);
  parts.push(`STORED AS INPUTFORMAT \n  '${spec.inputFormat}' \nOUTPUTFORMAT \n  '${spec.outputFormat}'`);
  parts.push(`LOCATION\n  '${spec.location}'`);
  if (Object.keys(spec.tableProperties).length > 0)
    parts.push(`TBLPROPERTIES (\n${props(spec.tableProperties)})`);
  return parts.join('\n');
}

function escapeHive(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}
