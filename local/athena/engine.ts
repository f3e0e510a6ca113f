/**
 * The local Athena's catalog and its DuckDB side. The catalog is one DuckDB file: one schema per
 * Athena database (`default` always), and in a hidden `__athena` schema the specs of tables and the
 * SQL of views. User SQL never runs on this instance: every query runs in a sandbox (sandbox.ts)
 * built from a snapshot of the catalog, where the tables are views over their files and nothing else
 * exists. This instance does the engine's own work only (catalog writes, RegexSerDe parse caches),
 * and is itself locked to the local S3 and the caches once open.
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { DataFileError } from '../sqlite-file';
import { hasVisibleFile } from './files';
import { quoteIdent, quoteLiteral } from './hive-types';
import { RegexTableCache } from './regex-cache';
import { s3UriToLocalPath } from './s3-paths';
import { type CatalogSnapshot, type QueryLimits, SandboxPool } from './sandbox';
import { tokenize, unquoteStandard } from './sql-tokenizer';
import { type TableSpec, viewSql } from './tables';

const META_SCHEMA = '__athena';
const HIDDEN_SCHEMAS = new Set([META_SCHEMA, 'main', 'information_schema', 'pg_catalog']);

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

/** A user view: the DuckDB statement that creates it in a sandbox, and the statement the user wrote. */
export interface ViewEntry {
  readonly database: string;
  readonly name: string;
  readonly sql: string;
  readonly text: string;
}

export interface EngineOptions {
  readonly dataDir: string;
  readonly s3Root: string;
  readonly limits: QueryLimits;
  /** Idle sandboxes kept for reuse (one per query that may run at once). */
  readonly maxIdleSandboxes: number;
}

export class AthenaEngine {
  private readonly tables = new Map<string, CatalogEntry>();
  private readonly views = new Map<string, ViewEntry>();
  private readonly schemas = new Set<string>();
  /** Bumped by every catalog change: sandboxes of an older version are not reused. */
  private version = 0;
  private snapshotCache: CatalogSnapshot | undefined;
  private readonly lock = new Mutex();
  /** A DuckDB connection runs one statement at a time: catalog reads and writes share it through this. */
  private readonly adminLock = new Mutex();
  readonly sandboxes: SandboxPool;
  readonly s3Root: string;
  private readonly cacheRoot: string;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly admin: DuckDBConnection,
    options: EngineOptions,
  ) {
    this.s3Root = options.s3Root;
    this.cacheRoot = join(options.dataDir, 'cache');
    this.sandboxes = new SandboxPool(() => this.snapshot(), {
      tmpRoot: join(options.dataDir, 'tmp'),
      limits: options.limits,
      maxIdle: options.maxIdleSandboxes,
    });
  }

  /** Opens (or creates) `<dataDir>/awsdatacatalog.duckdb` and loads the catalog. */
  static async open(options: EngineOptions): Promise<AthenaEngine> {
    const config: Record<string, string> = {
      enable_external_file_cache: 'false',
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      allow_community_extensions: 'false',
      memory_limit: `${options.limits.memoryLimitMb}MB`,
    };
    if (options.limits.threads) config.threads = String(options.limits.threads);
    const file = join(options.dataDir, 'awsdatacatalog.duckdb');
    const instance = await DuckDBInstance.create(file, config).catch((error: unknown) => {
      throw new DataFileError(file, error);
    });
    const admin = await instance.connect();
    const engine = new AthenaEngine(instance, admin, options);
    try {
      await engine.load();
      // The engine reads log files under the local S3 and writes parse caches; nothing else.
      const dirs = [engine.s3Root, engine.cacheRoot].map((d) => quoteLiteral(`${d.replace(/\/+$/, '')}/`));
      await admin.run(`SET allowed_directories = [${dirs.join(', ')}]`);
      await admin.run('SET enable_external_access = false');
      await admin.run('SET lock_configuration = true');
    } catch (error) {
      admin.closeSync();
      instance.closeSync();
      throw error;
    }
    return engine;
  }

  private async load(): Promise<void> {
    const meta = quoteIdent(META_SCHEMA);
    await this.admin.run(`CREATE SCHEMA IF NOT EXISTS ${meta}`);
    await this.admin.run(
      `CREATE TABLE IF NOT EXISTS ${meta}.tables (database VARCHAR, name VARCHAR, spec VARCHAR, PRIMARY KEY (database, name))`,
    );
    await this.admin.run(
      `CREATE TABLE IF NOT EXISTS ${meta}.views (database VARCHAR, name VARCHAR, sql VARCHAR, text VARCHAR, PRIMARY KEY (database, name))`,
    );
    await this.admin.run('CREATE SCHEMA IF NOT EXISTS "default"');
    const schemas = await this.admin.runAndReadAll(
      'SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database() AND NOT internal',
    );
    for (const [name] of schemas.getRows())
      if (!HIDDEN_SCHEMAS.has(String(name))) this.schemas.add(String(name));
    for (const [specText] of (await this.admin.runAndReadAll(`SELECT spec FROM ${meta}.tables`)).getRows()) {
      const entry = this.entryFor(JSON.parse(String(specText)) as TableSpec);
      this.tables.set(key(entry.spec.database, entry.spec.name), entry);
    }
    await this.moveDuckDbViews();
    const views = await this.admin.runAndReadAll(`SELECT database, name, sql, text FROM ${meta}.views`);
    for (const [database, name, sql, text] of views.getRows()) {
      const view = { database: String(database), name: String(name), sql: String(sql), text: String(text) };
      this.views.set(key(view.database, view.name), view);
    }
  }

  /**
   * Catalogs written before queries ran in sandboxes held tables and views as DuckDB views: table
   * views are dropped (sandboxes build their own), user views move to `__athena.views`.
   */
  private async moveDuckDbViews(): Promise<void> {
    const rows = (
      await this.admin.runAndReadAll(
        `SELECT schema_name, view_name, sql FROM duckdb_views() WHERE database_name = current_database() AND NOT internal AND schema_name <> ${quoteLiteral(META_SCHEMA)}`,
      )
    ).getRows();
    if (rows.length === 0) return;
    await transaction(this.admin, async () => {
      for (const [schema, name, sql] of rows) {
        if (!this.tables.has(key(String(schema), String(name)))) {
          const text = String(sql).replace(/;\s*$/, '');
          await this.admin.run(
            `INSERT OR REPLACE INTO ${quoteIdent(META_SCHEMA)}.views VALUES (?, ?, ?, ?)`,
            [String(schema), String(name), text, text],
          );
        }
        await this.admin.run(`DROP VIEW ${quoteIdent(String(schema))}.${quoteIdent(String(name))}`);
      }
    });
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

  private changed(): void {
    this.version++;
    this.snapshotCache = undefined;
  }

  /** The catalog as sandboxes see it (views of tables, user views, readable folders). */
  snapshot(): CatalogSnapshot {
    if (this.snapshotCache?.version === this.version) return this.snapshotCache;
    const entries = [...this.tables.values()];
    this.snapshotCache = {
      version: this.version,
      databases: [...this.schemas].sort(),
      tables: entries.map((e) => ({
        database: e.spec.database,
        name: e.spec.name,
        select: viewSql(e.spec, e.cache ? e.cache.dir : this.localDir(e.spec), e.hasFiles),
      })),
      views: [...this.views.values()].map((v) => ({ database: v.database, name: v.name, sql: v.sql })),
      readableDirs: entries.map((e) => (e.cache ? e.cache.dir : this.localDir(e.spec))),
    };
    return this.snapshotCache;
  }

  private adminRun(sql: string, values?: string[]): Promise<unknown> {
    return this.adminLock.run(() => this.admin.run(sql, values));
  }

  localDir(spec: Pick<TableSpec, 'location'>): string {
    return s3UriToLocalPath(this.s3Root, spec.location);
  }

  /** Runs catalog changes one at a time. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.lock.run(task);
  }

  async databases(): Promise<string[]> {
    return [...this.schemas].sort();
  }

  async databaseExists(name: string): Promise<boolean> {
    return this.schemas.has(name.toLowerCase());
  }

  /** Tables (external and CTAS) and views of one database, sorted. */
  async relations(database: string): Promise<{ name: string; kind: 'table' | 'view' }[]> {
    const of = (kind: 'table' | 'view', items: Iterable<{ database: string; name: string }>) =>
      [...items].filter((i) => i.database === database).map((i) => ({ name: i.name, kind }));
    return [
      ...of(
        'table',
        [...this.tables.values()].map((e) => e.spec),
      ),
      ...of('view', this.views.values()),
    ].sort((a, b) => a.name.localeCompare(b.name));
  }

  table(database: string, name: string): TableSpec | undefined {
    return this.tables.get(key(database, name))?.spec;
  }

  view(database: string, name: string): ViewEntry | undefined {
    return this.views.get(key(database, name));
  }

  /** Creates a database. Call inside exclusive(). */
  async createDatabase(name: string): Promise<void> {
    await this.adminRun(`CREATE SCHEMA ${quoteIdent(name)}`);
    this.schemas.add(name);
    this.changed();
  }

  /** Records a table's spec. Call inside exclusive(). */
  async registerTable(spec: TableSpec): Promise<void> {
    const entry = this.entryFor(spec);
    await this.adminRun(`INSERT INTO ${quoteIdent(META_SCHEMA)}.tables VALUES (?, ?, ?)`, [
      spec.database,
      spec.name,
      JSON.stringify(spec),
    ]);
    this.tables.set(key(spec.database, spec.name), entry);
    this.changed();
  }

  /** Forgets a table (its files stay, as in Athena). Call inside exclusive(). */
  async dropTable(database: string, name: string): Promise<void> {
    await this.adminRun(`DELETE FROM ${quoteIdent(META_SCHEMA)}.tables WHERE database = ? AND name = ?`, [
      database,
      name,
    ]);
    const cache = this.tables.get(key(database, name))?.cache;
    if (cache) rmSync(cache.dir, { recursive: true, force: true });
    this.tables.delete(key(database, name));
    this.changed();
  }

  /** Creates or replaces a view. Call inside exclusive(). */
  async saveView(view: ViewEntry): Promise<void> {
    await this.adminRun(`INSERT OR REPLACE INTO ${quoteIdent(META_SCHEMA)}.views VALUES (?, ?, ?, ?)`, [
      view.database,
      view.name,
      view.sql,
      view.text,
    ]);
    this.views.set(key(view.database, view.name), view);
    this.changed();
  }

  /** Call inside exclusive(). */
  async dropView(database: string, name: string): Promise<void> {
    await this.adminRun(`DELETE FROM ${quoteIdent(META_SCHEMA)}.views WHERE database = ? AND name = ?`, [
      database,
      name,
    ]);
    this.views.delete(key(database, name));
    this.changed();
  }

  /** Drops a database; with cascade, its tables and views too. Call inside exclusive(). */
  async dropDatabase(database: string): Promise<void> {
    await this.adminLock.run(() =>
      transaction(this.admin, async () => {
        await this.admin.run(`DROP SCHEMA ${quoteIdent(database)} CASCADE`);
        for (const list of ['tables', 'views']) {
          await this.admin.run(`DELETE FROM ${quoteIdent(META_SCHEMA)}.${list} WHERE database = ?`, [
            database,
          ]);
        }
      }),
    );
    for (const [k, entry] of [...this.tables.entries()]) {
      if (entry.spec.database !== database) continue;
      if (entry.cache) rmSync(entry.cache.dir, { recursive: true, force: true });
      this.tables.delete(k);
    }
    for (const [k, view] of [...this.views.entries()]) if (view.database === database) this.views.delete(k);
    this.schemas.delete(database);
    this.changed();
  }

  /**
   * Brings the tables a statement names up to date before it runs: a location that got its first
   * file (or lost its last) switches between the empty relation and the reader (DuckDB's readers
   * fail on a pattern that matches no file, where Athena returns no rows), and a RegexSerDe table's
   * cache parses new log files. Names are found in the statement's tokens and, through views, in
   * theirs; a name that only looks like a table costs a check, nothing more.
   */
  async prepareTables(sql: string): Promise<{ regexCaches: string[] }> {
    const referenced = this.referencedTables(sql);
    for (const entry of referenced) {
      if (entry.cache) await entry.cache.refresh((copy) => this.withConnection((c) => c.run(copy)));
      const hasFiles = entry.cache ? entry.cache.hasData() : hasVisibleFile(this.localDir(entry.spec));
      if (hasFiles === entry.hasFiles) continue;
      await this.exclusive(async () => {
        if (hasFiles === entry.hasFiles) return;
        entry.hasFiles = hasFiles;
        this.changed();
      });
    }
    return { regexCaches: referenced.flatMap((e) => (e.cache && e.hasFiles ? [e.cache.dir] : [])) };
  }

  /** Runs engine work on a connection of its own (cache builds run in parallel with catalog reads). */
  private async withConnection<T>(task: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const connection = await this.instance.connect();
    try {
      return await task(connection);
    } finally {
      connection.closeSync();
    }
  }

  private referencedTables(sql: string): CatalogEntry[] {
    const viewSqlByName = new Map<string, string[]>();
    for (const view of this.views.values()) {
      const list = viewSqlByName.get(view.name) ?? [];
      list.push(view.sql);
      viewSqlByName.set(view.name, list);
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
    this.sandboxes.close();
    this.admin.closeSync();
    this.instance.closeSync();
  }
}

function key(database: string, name: string): string {
  return `${database}\u0000${name}`;
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
