/** Output formats of `athena-wlm results`. */
export const RESULT_FORMATS = ['table', 'csv', 'json'] as const;
export type ResultFormat = (typeof RESULT_FORMATS)[number];

export interface Column {
  readonly name: string;
  readonly type: string;
}
export type Row = readonly (string | null)[];

/** Athena (Hive/Trino) types whose values are numbers: right-aligned in a table. */
const NUMERIC = /^(tinyint|smallint|int|integer|bigint|float|real|double|decimal)\b/i;

/** Text shown for SQL NULL in a table (CSV leaves the field empty; JSON says null). */
export const TABLE_NULL = 'NULL';

function oneLine(value: string): string {
  return value.replace(/\r\n|\r|\n/g, '\\n').replace(/\t/g, '\\t');
}

/**
 * A plain-text table with a header (and an optional second header line), a rule and one line per
 * row. `alignRight` marks columns whose cells are padded on the left.
 */
export function renderTextTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  alignRight: readonly boolean[] = [],
  subheaders?: readonly string[],
): string {
  const top = subheaders ? [headers, subheaders] : [headers];
  const cells = [...top, ...rows].map((row) => row.map(oneLine));
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => (alignRight[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return `${[...cells.slice(0, top.length).map(line), rule, ...cells.slice(top.length).map(line)].join('\n')}\n`;
}

/** Result rows as a table: each column's Athena type under its name, NULL spelled out, numbers right-aligned. */
export function renderTable(columns: readonly Column[], rows: readonly Row[]): string {
  return renderTextTable(
    columns.map((c) => c.name),
    rows.map((row) => columns.map((_, i) => row[i] ?? TABLE_NULL)),
    columns.map((c) => NUMERIC.test(c.type)),
    columns.map((c) => c.type),
  );
}

function csvField(value: string | null): string {
  if (value === null) return '';
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Result rows as CSV (RFC 4180 quoting, a header line, NULL as an empty field). */
export function renderCsv(columns: readonly Column[], rows: readonly Row[]): string {
  const lines = [
    columns.map((c) => csvField(c.name)),
    ...rows.map((row) => columns.map((_, i) => csvField(row[i] ?? null))),
  ];
  return `${lines.map((fields) => fields.join(',')).join('\n')}\n`;
}

/** Column names made unique (`a`, `a_2`), so that every value has its own key in a JSON object. */
export function uniqueNames(columns: readonly Column[]): string[] {
  const used = new Set<string>();
  return columns.map(({ name }) => {
    let candidate = name;
    for (let n = 2; used.has(candidate); n++) candidate = `${name}_${n}`;
    used.add(candidate);
    return candidate;
  });
}

/** Result rows as a JSON array of objects keyed by column name; values stay Athena's strings or null. */
export function renderJson(columns: readonly Column[], rows: readonly Row[]): string {
  const names = uniqueNames(columns);
  const objects = rows.map((row) => Object.fromEntries(names.map((name, i) => [name, row[i] ?? null])));
  return `${JSON.stringify(objects, null, 2)}\n`;
}

/** Renders result rows in the chosen format. */
export function renderResults(
  format: ResultFormat,
  columns: readonly Column[],
  rows: readonly Row[],
): string {
  switch (format) {
    case 'table':
      return renderTable(columns, rows);
    case 'csv':
      return renderCsv(columns, rows);
    case 'json':
      return renderJson(columns, rows);
  }
}

/** `1234567` -> `1.2 MB` (decimal units, as Athena bills). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** `83_400` -> `1m 23.4s`; `950` -> `0.95s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = ((ms % 60_000) / 1000).toFixed(0);
  if (minutes < 60) return `${minutes}m ${seconds}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}
