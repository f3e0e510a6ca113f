/**
 * Where user SQL runs. Athena reads nothing but the S3 objects behind its tables; the local engine
 * keeps that promise by running every query in a sandbox: an in-memory DuckDB instance that holds
 * the tables as views and nothing else (the catalog, the ledger and other queries' results live
 * elsewhere), configured before any user SQL reaches it and then locked:
 *
 * - external access off (`enable_external_access = false`) except the table locations and the parse
 *   caches of RegexSerDe tables (`allowed_directories`), the sandbox's own profile file
 *   (`allowed_paths`) and, for a CTAS, the folder it writes;
 * - no extension installed or loaded at run time (autoinstall, autoload and community extensions off);
 * - a memory limit and a thread count of its own: a sandbox runs one query at a time, so these are
 *   per-query limits, and a query that passes the memory limit fails alone;
 * - `lock_configuration = true`: no statement can change any of this afterwards.
 *
 * DuckDB's docs, "Securing DuckDB": https://duckdb.org/docs/stable/operations_manual/securing_duckdb/overview
 *
 * A sandbox is reused by later queries while the catalog it was built from is unchanged (building
 * one binds every table's reader); user SQL cannot leave state behind, as only read-only statements
 * reach it (see user-sql.ts).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, StatementType } from '@duckdb/node-api';
import { quoteIdent, quoteLiteral } from './hive-types';
import { macroStatements } from './trino-macros';

/** Resources of one query. */
export interface QueryLimits {
  /** DuckDB's memory_limit for one query, in MiB. */
  readonly memoryLimitMb: number;
  /** DuckDB worker threads for one query. @default DuckDB's default (one per core) */
  readonly threads?: number;
}

/** What a sandbox is built from: the catalog as it is at one version. */
export interface CatalogSnapshot {
  readonly version: number;
  readonly databases: readonly string[];
  /** Each table as the SELECT of its view. */
  readonly tables: readonly { readonly database: string; readonly name: string; readonly select: string }[];
  /** User views as DuckDB CREATE VIEW statements. */
  readonly views: readonly { readonly database: string; readonly name: string; readonly sql: string }[];
  /** Folders user SQL may read: table locations and RegexSerDe parse caches. */
  readonly readableDirs: readonly string[];
}

const PROFILING_SETTINGS = '{"EXTRA_INFO": "true", "OPERATOR_TYPE": "true", "OPERATOR_NAME": "true"}';

export class Sandbox {
  private constructor(
    readonly version: number,
    private readonly instance: DuckDBInstance,
    /** Runs the user's statement, profiled. */
    readonly connection: DuckDBConnection,
    /** Runs the engine's own checks and billing reads, unprofiled. */
    readonly helper: DuckDBConnection,
    readonly profilePath: string,
    private readonly tempDir: string,
    /** False for a sandbox that may write somewhere (CTAS): used once. */
    readonly reusable: boolean,
    /** Names of its tables and views, lower case, in any database. */
    readonly relationNames: ReadonlySet<string>,
    /**
     * Names DuckDB resolves a bare `FROM name` to when no table has it: its table functions,
     * pragmas (`pragma_name`) and system views (duckdb_databases, pg_settings...), lower case.
     */
    readonly systemRelations: ReadonlySet<string>,
  ) {}

  static async open(
    snapshot: CatalogSnapshot,
    options: { tmpRoot: string; limits: QueryLimits; writableDirs?: readonly string[] },
  ): Promise<Sandbox> {
    const id = randomUUID();
    const tempDir = join(options.tmpRoot, `sandbox-${id}`);
    const profilePath = join(options.tmpRoot, `sandbox-${id}.profile.json`);
    const config: Record<string, string> = {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      allow_community_extensions: 'false',
      allow_unsigned_extensions: 'false',
      enable_external_file_cache: 'false',
      memory_limit: `${options.limits.memoryLimitMb}MB`,
      // Spilling is allowed, to a folder of its own and within bounds.
      temp_directory: tempDir,
      max_temp_directory_size: `${4 * options.limits.memoryLimitMb}MB`,
    };
    if (options.limits.threads) config.threads = String(options.limits.threads);
    const instance = await DuckDBInstance.create(':memory:', config);
    const helper = await instance.connect();
    const connection = await instance.connect();
    const systemRelations = await systemRelationNames(helper).catch((error: unknown) => {
      instance.closeSync();
      throw error;
    });
    const sandbox = new Sandbox(
      snapshot.version,
      instance,
      connection,
      helper,
      profilePath,
      tempDir,
      !options.writableDirs?.length,
      new Set([...snapshot.tables, ...snapshot.views].map((r) => r.name)),
      systemRelations,
    );
    try {
      const dirs = [...snapshot.readableDirs, ...(options.writableDirs ?? [])].map((d) =>
        d.replace(/\/+$/, ''),
      );
      await helper.run(`SET allowed_directories = [${dirs.map((d) => quoteLiteral(`${d}/`)).join(', ')}]`);
      // A directory itself is a path (a partitioned COPY checks the folder it writes into).
      await helper.run(`SET allowed_paths = [${[profilePath, ...dirs].map(quoteLiteral).join(', ')}]`);
      await helper.run('SET enable_external_access = false');
      // Trino semantics where DuckDB has a setting for it: integer / integer is an integer, and the
      // session time zone is UTC (as Athena's).
      await helper.run('SET GLOBAL integer_division = true');
      await helper.run("SET GLOBAL TimeZone = 'UTC'");
      await connection.run("PRAGMA enable_profiling = 'json'");
      await connection.run(`SET profiling_output = ${quoteLiteral(profilePath)}`);
      await connection.run(`SET custom_profiling_settings = ${quoteLiteral(PROFILING_SETTINGS)}`);
      // Locked before the catalog is built: the view SQL below (queries users wrote) cannot change any of it.
      await helper.run('SET lock_configuration = true');
      // The catalog name Athena queries use (awsdatacatalog.db.table).
      await helper.run("ATTACH ':memory:' AS awsdatacatalog");
      for (const c of [helper, connection]) await c.run('USE awsdatacatalog');
      for (const database of snapshot.databases) await helper.run(`CREATE SCHEMA ${quoteIdent(database)}`);
      await helper.run(macroStatements().join(';\n'));
      for (const t of snapshot.tables) {
        await helper.run(`CREATE VIEW ${quoteIdent(t.database)}.${quoteIdent(t.name)} AS ${t.select}`);
      }
      await createViews(helper, snapshot.views);
    } catch (error) {
      sandbox.close();
      throw error;
    }
    return sandbox;
  }

  /** Resolves unqualified names in `database` (search_path is the one setting a lock leaves open). */
  async useDatabase(database: string): Promise<void> {
    const path = quoteLiteral(`${quoteIdent(database)},main`);
    for (const c of [this.connection, this.helper]) await c.run(`SET search_path = ${path}`);
  }

  /** Removes the profile of the previous statement, so that the next one is read alone. */
  clearProfile(): void {
    rmSync(this.profilePath, { force: true });
  }

  /** The JSON profile of the last statement on `connection`, removed once read. */
  takeProfile(): unknown {
    try {
      return JSON.parse(readFileSync(this.profilePath, 'utf8'));
    } catch {
      return undefined;
    } finally {
      this.clearProfile();
    }
  }

  close(): void {
    for (const c of [this.connection, this.helper]) {
      try {
        c.closeSync();
      } catch {
        // an interrupted connection still closes
      }
    }
    this.instance.closeSync();
    rmSync(this.tempDir, { recursive: true, force: true });
    this.clearProfile();
  }
}

let systemRelationCache: Promise<ReadonlySet<string>> | undefined;

/** See Sandbox.systemRelations (the same for every instance of this DuckDB build). */
function systemRelationNames(connection: DuckDBConnection): Promise<ReadonlySet<string>> {
  systemRelationCache ??= connection
    .runAndReadAll(
      `SELECT function_name FROM duckdb_functions() WHERE function_type IN ('table', 'table_macro')
       UNION SELECT 'pragma_' || function_name FROM duckdb_functions() WHERE function_type = 'pragma'
       UNION SELECT view_name FROM duckdb_views() WHERE internal AND schema_name <> 'information_schema'`,
    )
    .then((reader) => new Set(reader.getRows().map(([name]) => String(name).toLowerCase())))
    .catch((error: unknown) => {
      systemRelationCache = undefined;
      throw error;
    });
  return systemRelationCache;
}

/**
 * Creates user views in an order that satisfies their dependencies (DuckDB binds a view's query when
 * it is created). A view whose dependencies are gone is left out: querying it fails as a missing
 * table, as a stale view fails in Athena.
 */
async function createViews(
  connection: DuckDBConnection,
  views: readonly { readonly database: string; readonly sql: string }[],
): Promise<void> {
  let pending = [...views];
  for (;;) {
    const failed: typeof pending = [];
    for (const view of pending) {
      try {
        await connection.run(`SET search_path = ${quoteLiteral(`${quoteIdent(view.database)},main`)}`);
        // One CREATE VIEW statement, whatever the catalog holds.
        const extracted = await connection.extractStatements(view.sql);
        if (extracted.count !== 1) throw new Error('not one statement');
        const prepared = await extracted.prepare(0);
        try {
          if (prepared.statementType !== StatementType.CREATE) throw new Error('not a view');
          await prepared.run();
        } finally {
          prepared.destroySync();
        }
      } catch {
        failed.push(view);
      }
    }
    if (failed.length === 0 || failed.length === pending.length) return;
    pending = failed;
  }
}

/**
 * Sandboxes by catalog version: a query takes an idle sandbox built from the current catalog or
 * builds one, and gives it back when done; sandboxes of an older catalog are closed.
 */
export class SandboxPool {
  private idle: Sandbox[] = [];
  private closed = false;

  constructor(
    private readonly snapshot: () => CatalogSnapshot,
    private readonly options: { tmpRoot: string; limits: QueryLimits; maxIdle: number },
  ) {}

  /** A sandbox for one statement; `writableDirs` gets one of its own that may write there. */
  async acquire(writableDirs?: readonly string[]): Promise<Sandbox> {
    if (this.closed) throw new Error('the engine is closed');
    const snapshot = this.snapshot();
    if (writableDirs?.length) return Sandbox.open(snapshot, { ...this.options, writableDirs });
    for (const stale of this.idle.filter((s) => s.version !== snapshot.version)) stale.close();
    this.idle = this.idle.filter((s) => s.version === snapshot.version);
    return this.idle.pop() ?? Sandbox.open(snapshot, this.options);
  }

  /** Gives a sandbox back; `healthy` false (interrupted, failed mid-way) closes it. */
  release(sandbox: Sandbox, healthy: boolean): void {
    const keep =
      healthy &&
      sandbox.reusable &&
      !this.closed &&
      sandbox.version === this.snapshot().version &&
      this.idle.length < this.options.maxIdle;
    if (keep) {
      sandbox.clearProfile();
      this.idle.push(sandbox);
    } else {
      sandbox.close();
    }
  }

  close(): void {
    this.closed = true;
    for (const sandbox of this.idle) sandbox.close();
    this.idle = [];
  }
}
