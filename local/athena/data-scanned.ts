/**
 * DataScannedInBytes, computed from what DuckDB reports it read.
 *
 * Every query runs with DuckDB's JSON profiler on. Its table-scan operators name the reader
 * (READ_CSV, READ_JSON_OBJECTS, READ_PARQUET, ...), the file pattern, how many files were read
 * after partition pruning, and, for Parquet, the columns projected and filtered. From that:
 *
 * - text (CSV, logs, JSON; gzip or not): the size on disk of every file read. Athena bills text
 *   formats the same way: it must read the whole (compressed) object.
 * - Parquet: the compressed size of the column chunks of the columns the query needs (projected or
 *   filtered), plus each file's footer. Like Athena, a query that reads two columns of a wide table
 *   is billed for two columns. Row groups that DuckDB skips by statistics are still counted (so the
 *   figure can be above Athena's for selective filters).
 * - When partition pruning read only some of the matched files, the bytes are prorated by count.
 *
 * DuckDB's own `total_bytes_read` metric was tried and rejected: it counts metadata reads for Parquet
 * (a few KB for an 8 MB file) and decompressed bytes for gzip text (25x the file).
 * Athena reports the real bytes here; its 10 MB minimum applies to billing only.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteLiteral } from './hive-types';

interface ProfileNode {
  operator_type?: string;
  operator_name?: string;
  extra_info?: Record<string, unknown>;
  children?: ProfileNode[];
}

export interface ScanInfo {
  readonly reader: string;
  readonly patterns: readonly string[];
  readonly filesRead?: number;
  readonly columns: readonly string[];
  readonly filters: string;
}

const TEXT_READERS = new Set([
  'READ_CSV',
  'READ_CSV_AUTO',
  'READ_JSON',
  'READ_JSON_AUTO',
  'READ_NDJSON',
  'READ_NDJSON_AUTO',
  'READ_JSON_OBJECTS',
  'READ_NDJSON_OBJECTS',
  'READ_JSON_OBJECTS_AUTO',
  'READ_TEXT',
  'READ_BLOB',
]);
const PARQUET_READERS = new Set(['READ_PARQUET', 'PARQUET_SCAN']);

/** The file scans in a DuckDB JSON profile. */
export function scansInProfile(profile: unknown): ScanInfo[] {
  const scans: ScanInfo[] = [];
  const visit = (node: ProfileNode) => {
    const info = node.extra_info ?? {};
    const reader = String(info.Function ?? node.operator_name ?? '').toUpperCase();
    const files = info['Filename(s)'];
    if ((TEXT_READERS.has(reader) || PARQUET_READERS.has(reader)) && files !== undefined) {
      const filesRead = info['Total Files Read'];
      scans.push({
        reader,
        // DuckDB prints the pattern (or the first file) and ", ..." when there are more.
        patterns: (Array.isArray(files) ? files.map(String) : [String(files)])
          .map((f) => f.replace(/, \.\.\.$/, ''))
          .filter((f) => f !== '...'),
        filesRead: filesRead === undefined ? undefined : Number(filesRead),
        columns: listOf(info.Projections),
        filters: listOf(info.Filters).join(' '),
      });
    }
    for (const child of node.children ?? []) visit(child);
  };
  if (profile && typeof profile === 'object') visit(profile as ProfileNode);
  return scans;
}

function listOf(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return value.map(String);
  return String(value)
    .split(/\n|,/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Bytes a set of scans read, per the rules above. `connection` is used for glob() and parquet_metadata(). */
export async function bytesScanned(
  connection: DuckDBConnection,
  scans: readonly ScanInfo[],
  billedScan: (pattern: string) => { bytes: number; files: number } | undefined = () => undefined,
): Promise<number> {
  let total = 0;
  for (const scan of scans) {
    const billed = scan.patterns.length === 1 ? billedScan(scan.patterns[0]) : undefined;
    if (billed) {
      const read = scan.filesRead === undefined ? billed.files : Math.max(1, scan.filesRead);
      total += billed.files === 0 ? 0 : billed.bytes * Math.min(1, read / billed.files);
      continue;
    }
    const files = await expand(connection, scan.patterns);
    if (files.length === 0) continue;
    // A scan cut short (LIMIT) reports 0 files read although it opened one.
    const read = scan.filesRead === undefined ? files.length : Math.max(1, scan.filesRead);
    const share = Math.min(1, read / files.length);
    if (PARQUET_READERS.has(scan.reader)) {
      total += share * (await parquetBytes(connection, files, scan));
    } else {
      total += share * files.reduce((sum, file) => sum + sizeOf(file), 0);
    }
  }
  return Math.round(total);
}

async function expand(connection: DuckDBConnection, patterns: readonly string[]): Promise<string[]> {
  const files = new Set<string>();
  for (const pattern of patterns) {
    if (!/[*?[]/.test(pattern)) {
      files.add(pattern);
      continue;
    }
    const reader = await connection.runAndReadAll(`SELECT file FROM glob(${quoteLiteral(pattern)})`);
    for (const [file] of reader.getRows()) files.add(String(file));
  }
  return [...files];
}

async function parquetBytes(connection: DuckDBConnection, files: string[], scan: ScanInfo): Promise<number> {
  const list = `[${files.map(quoteLiteral).join(', ')}]`;
  const reader = await connection.runAndReadAll(
    `SELECT path_in_schema, sum(total_compressed_size)::BIGINT FROM parquet_metadata(${list}) GROUP BY ALL`,
  );
  const wanted = new Set(scan.columns.map((c) => c.split('.')[0].replace(/^"|"$/g, '').toLowerCase()));
  const filterText = scan.filters.toLowerCase();
  let bytes = 0;
  for (const [path, size] of reader.getRows()) {
    const top = String(path).split(', ')[0].toLowerCase();
    const inFilter =
      filterText !== '' && new RegExp(`(^|[^a-z0-9_])"?${escapeRegex(top)}"?([^a-z0-9_]|$)`).test(filterText);
    if (wanted.has(top) || inFilter) bytes += Number(size);
  }
  for (const file of files) bytes += parquetFooterSize(file);
  return bytes;
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Footer length + 8 (the 4-byte length and the PAR1 magic): what a reader fetches before any column. */
function parquetFooterSize(file: string): number {
  try {
    const size = statSync(file).size;
    if (size < 12) return size;
    const fd = openSync(file, 'r');
    try {
      const tail = Buffer.alloc(8);
      readSync(fd, tail, 0, 8, size - 8);
      return tail.readUInt32LE(0) + 8;
    } finally {
      closeSync(fd);
    }
  } catch {
    return 0;
  }
}
