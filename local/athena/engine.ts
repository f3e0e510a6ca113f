/**
 * The DuckDB side of the local Athena: one database file whose catalog is named `awsdatacatalog`
 * (so `awsdatacatalog.default.t` resolves), one DuckDB schema per Athena database, one view per
 * table, and the table specs in a hidden `__athena` schema, written in the same transaction as the
 * view so that the two never disagree.
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, type DuckDBResultReader } from '@duckdb/node-api';
import { hasVisibleFile } from './files';
import { quoteIdent, quoteLiteral } from './hive-types';
import { RegexTableCache } from './regex-cache';
import { s3UriToLocalPath } from './s3-paths';
import { tokenize, unquoteStandard } from './sql-tokenizer';
import { type TableSpec, viewSql } from './tables';

const META_SCHEMA = '__athena';
const HIDDEN_SCHEMAS = new Set([META_SCHEMA, 'main', 'information_schema', 'pg_catalog']);

/**
 * A few Trino functions that DuckDB spells differently, as macros: queries written for Athena keep
 * working. DuckDB already has many of Trino's (split_part, element_at, cardinality, date_trunc, ...).
 */
const TRINO_MACROS = [
  'approx_distinct(x) AS approx_count_distinct(x)',
  'approx_percentile(x, p) AS approx_quantile(x, p)',
  'regexp_like(s, p) AS regexp_matches(s, p)',
  'json_extract_scalar(j, p) AS json_extract_string(j, p)',
  'from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)',
  'from_iso8601_date(s) AS CAST(s AS DATE)',
  'from_unixtime(x) AS make_timestamp(CAST(x * 1000000 AS BIGINT))',
  'to_unixtime(t) AS epoch(t)',
];

/** A promise-chain mutex: catalog writes from concurrent queries run one at a time. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(task: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await task();
    } finally {
      release();
    }
  }
}

interface CatalogEntry {
  spec: TableSpec;
  /** Whether the view reads files (false: the empty relation of a location with no file yet). */
  hasFiles: boolean;
  /** RegexSerDe tables only: the parse cache the view reads. */
  cache?: RegexTableCache;
}

export class AthenaEngine {
  private readonly tables = new Map<string, CatalogEntry>();
  private readonly lock = new Mutex();
  /** A DuckDB connection runs one statement at a time: concurrent queries share the admin one through this. */
  private readonly adminLock = new Mutex();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly admin: DuckDBConnection,
    readonly s3Root: string,
    private readonly cacheRoot: string,
  ) {}

  /** Opens (or creates) `<dataDir>/awsdatacatalog.duckdb` and rebuilds every table view. */
  static async open(dataDir: string, s3Root: string, threads?: number): Promise<AthenaEngine> {
    const options: Record<string, string> = { enable_external_file_cache: 'false' };
    if (threads) options.threads = String(threads);
    const instance = await DuckDBInstance.create(join(dataDir, 'awsdatacatalog.duckdb'), options);
    const admin = await instance.connect();
    const engine = new AthenaEngine(instance, admin, s3Root, join(dataDir, 'cache'));
    await admin.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(META_SCHEMA)}`);
    await admin.run(
      `CREATE TABLE IF NOT EXISTS ${quoteIdent(META_SCHEMA)}.tables (database VARCHAR, name VARCHAR, spec VARCHAR, PRIMARY KEY (database, name))`,
    );
    await admin.run('CREATE SCHEMA IF NOT EXISTS "default"');
    for (const macro of TRINO_MACROS) await admin.run(`CREATE OR REPLACE MACRO main.${macro}`);
    const rows = (await admin.runAndReadAll(`SELECT spec FROM ${quoteIdent(META_SCHEMA)}.tables`)).getRows();
    for (const [specText] of rows) {
      const entry = engine.entryFor(JSON.parse(String(specText)) as TableSpec);
      // Paths in views are absolute: rebuild them in case dataDir or s3Root moved.
      await admin.run(`CREATE OR REPLACE VIEW ${qualified(entry.spec)} AS ${engine.viewFor(entry)}`);
      engine.tables.set(key(entry.spec.database, entry.spec.name), entry);
    }
    return engine;
  }

  /** A catalog entry with the state its view should have now. */
  private entryFor(spec: TableSpec): CatalogEntry {
    if (spec.format === 'regex') {
      const cacheDir = join(this.cacheRoot, createHash('sha1').update(JSON.stringify(spec)).digest('hex'));
      const cache = new RegexTableCache(cacheDir, spec, this.localDir(spec));
      return { spec, cache, hasFiles: cache.hasData() };
    }
    return { spec, hasFiles: hasVisibleFile(this.localDir(spec)) };
  }

  private viewFor(entry: CatalogEntry): string {
    return viewSql(entry.spec, entry.cache ? entry.cache.dir : this.localDir(entry.spec), entry.hasFiles);
  }

  private adminRead(sql: string): Promise<DuckDBResultReader> {
    return this.adminLock.run(() => this.admin.runAndReadAll(sql));
  }

  private async adminRun(sql: string): Promise<void> {
    await this.adminLock.run(() => this.admin.run(sql));
  }

  /** A new connection whose default schema is `database`: one per running query, so it can be interrupted. */
  async connect(database: string): Promise<DuckDBConnection> {
    const connection = await this.instance.connect();
    await connection.run(`SET search_path = ${quoteLiteral(`${quoteIdent(database)},main`)}`);
    return connection;
  }

  localDir(spec: Pick<TableSpec, 'location'>): string {
    return s3UriToLocalPath(this.s3Root, spec.location);
  }

  /** Runs catalog changes one at a time. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.lock.run(task);
  }

  async databases(): Promise<string[]> {
    const rows = (
      await this.adminRead(
        'SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database() AND NOT internal',
      )
    ).getRows();
    return rows
      .map(([name]) => String(name))
      .filter((name) => !HIDDEN_SCHEMAS.has(name))
      .sort();
  }

  async databaseExists(name: string): Promise<boolean> {
    return (await this.databases()).includes(name.toLowerCase());
  }

  /** Tables (external and CTAS) and views of one database, sorted. */
  async relations(database: string): Promise<{ name: string; kind: 'table' | 'view' }[]> {
    const rows = (
      await this.adminRead(
        `SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND schema_name = ${quoteLiteral(database)} AND NOT internal`,
      )
    ).getRows();
    return rows
      .map(([name]) => String(name))
      .map((name) => ({
        name,
        kind: this.tables.has(key(database, name)) ? ('table' as const) : ('view' as const),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  table(database: string, name: string): TableSpec | undefined {
    return this.tables.get(key(database, name))?.spec;
  }

  /** The SQL of a user view, or undefined. */
  async viewDefinition(database: string, name: string): Promise<string | undefined> {
    if (this.tables.has(key(database, name))) return undefined;
    const rows = (
      await this.adminRead(
        `SELECT sql FROM duckdb_views() WHERE database_name = current_database() AND schema_name = ${quoteLiteral(database)} AND view_name = ${quoteLiteral(name)} AND NOT internal`,
      )
    ).getRows();
    return rows.length > 0 ? String(rows[0][0]) : undefined;
  }

  /** Creates a table's view and catalog row together. Call inside exclusive(). */
  async registerTable(connection: DuckDBConnection, spec: TableSpec): Promise<void> {
    const entry = this.entryFor(spec);
    await transaction(connection, async () => {
      await connection.run(`CREATE VIEW ${qualified(spec)} AS ${this.viewFor(entry)}`);
      await connection.run(`INSERT INTO ${quoteIdent(META_SCHEMA)}.tables VALUES (?, ?, ?)`, [
        spec.database,
        spec.name,
        JSON.stringify(spec),
      ]);
    });
    this.tables.set(key(spec.database, spec.name), entry);
  }

  /** Drops a table's view and catalog row (its files stay, as in Athena). Call inside exclusive(). */
  async dropTable(connection: DuckDBConnection, database: string, name: string): Promise<void> {
    await transaction(connection, async () => {
      await connection.run(`DROP VIEW IF EXISTS ${quoteIdent(database)}.${quoteIdent(name)}`);
      await connection.run(`DELETE FROM ${quoteIdent(META_SCHEMA)}.tables WHERE database = ? AND name = ?`, [
        database,
        name,
      ]);
    });
    const cache = this.tables.get(key(database, name))?.cache;
    if (cache) rmSync(cache.dir, { recursive: true, force: true });
    this.tables.delete(key(database, name));
  }

  /** Drops a database; with cascade, its tables and views too. Call inside exclusive(). */
  async dropDatabase(connection: DuckDBConnection, database: string): Promise<void> {
    await transaction(connection, async () => {
      await connection.run(`DROP SCHEMA ${quoteIdent(database)} CASCADE`);
      await connection.run(`DELETE FROM ${quoteIdent(META_SCHEMA)}.tables WHERE database = ?`, [database]);
    });
    for (const [k, entry] of [...this.tables.entries()]) {
      if (!k.startsWith(`${database}\u0000`)) continue;
      if (entry.cache) rmSync(entry.cache.dir, { recursive: true, force: true });
      this.tables.delete(k);
    }
  }

  /**
   * Brings the views of the tables a statement names up to date before it runs: a location that
   * got its first file (or lost its last) switches between the empty relation and the reader
   * (DuckDB's readers fail on a pattern that matches no file, where Athena returns no rows), and a
   * RegexSerDe table's cache parses new log files. Names are found in the statement's tokens and,
   * through views, in theirs; a name that only looks like a table costs a check, nothing more.
   */
  async prepareTables(connection: DuckDBConnection, sql: string): Promise<{ regexCaches: string[] }> {
    const referenced = await this.referencedTables(sql);
    for (const entry of referenced) {
      if (entry.cache) await entry.cache.refresh(connection);
      const hasFiles = entry.cache ? entry.cache.hasData() : hasVisibleFile(this.localDir(entry.spec));
      if (hasFiles === entry.hasFiles) continue;
      await this.exclusive(async () => {
        if (hasFiles === entry.hasFiles) return;
        entry.hasFiles = hasFiles;
        await this.adminRun(`CREATE OR REPLACE VIEW ${qualified(entry.spec)} AS ${this.viewFor(entry)}`);
      });
    }
    return { regexCaches: referenced.flatMap((e) => (e.cache && e.hasFiles ? [e.cache.dir] : [])) };
  }

  private async referencedTables(sql: string): Promise<CatalogEntry[]> {
    const views = (
      await this.adminRead(
        `SELECT view_name, sql FROM duckdb_views() WHERE database_name = current_database() AND NOT internal AND schema_name <> ${quoteLiteral(META_SCHEMA)}`,
      )
    ).getRows();
    const viewSqlByName = new Map<string, string[]>();
    for (const [name, text] of views) {
      const list = viewSqlByName.get(String(name).toLowerCase()) ?? [];
      list.push(String(text));
      viewSqlByName.set(String(name).toLowerCase(), list);
    }
    const names = new Set<string>();
    const pending = [sql];
    while (pending.length > 0) {
      let tokens: ReturnType<typeof tokenize>;
      try {
        tokens = tokenize(pending.pop()!);
      } catch {
        continue;
      }
      for (const token of tokens) {
        if (token.kind !== 'word' && token.kind !== 'quoted' && token.kind !== 'backtick') continue;
        const name = (token.kind === 'word' ? token.text : unquoteStandard(token.text)).toLowerCase();
        if (names.has(name)) continue;
        names.add(name);
        pending.push(...(viewSqlByName.get(name) ?? []));
      }
    }
    return [...this.tables.values()].filter((entry) => names.has(entry.spec.name));
  }

  /**
   * What a scan of a regex cache is billed: the log files behind it (Athena reads the text), not
   * the Parquet the local engine reads instead. Undefined for any other pattern.
   */
  billedScan(pattern: string): { bytes: number; files: number } | undefined {
    for (const entry of this.tables.values()) {
      if (entry.cache && pattern.startsWith(entry.cache.dir)) {
        const { bytes, cacheFiles } = entry.cache.sourceBytes();
        return { bytes, files: cacheFiles };
      }
    }
    return undefined;
  }

  async close(): Promise<void> {
    this.admin.closeSync();
    this.instance.closeSync();
  }
}

function key(database: string, name: string): string {
  return `${database}\u0000${name}`;
}

function qualified(spec: Pick<TableSpec, 'database' | 'name'>): string {
  return `${quoteIdent(spec.database)}.${quoteIdent(spec.name)}`;
}

async function transaction(connection: DuckDBConnection, body: () => Promise<void>): Promise<void> {
  await connection.run('BEGIN TRANSACTION');
  try {
    await body();
    await connection.run('COMMIT');
  } catch (error) {
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
