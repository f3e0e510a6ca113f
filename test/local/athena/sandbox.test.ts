/**
 * The SQL-escape suite: user SQL reaches DuckDB as exactly one read-only statement, in a sandbox that
 * reads table locations only. Every case must end FAILED with an Athena-style reason, and nothing
 * outside the tables may be written or read.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { LocalAthena } from '../../../local/athena';
import { visibleFiles } from '../../../local/athena/files';
import { Sandbox } from '../../../local/athena/sandbox';
import { openAthena, putObject, rows, run, tempDataDir } from './helpers';

const SECRET = 'top-secret-9f1c';

describe('the local engine sandbox', () => {
  let data: ReturnType<typeof tempDataDir>;
  let athena: LocalAthena;
  /** A folder outside the data dir (one per test): nothing may appear in it, nothing in it may be read. */
  let outside: string;
  let secretFile: string;
  let otherResult: string;

  beforeEach(async () => {
    data = tempDataDir();
    outside = mkdtempSync(join(tmpdir(), 'athena-wlm-outside-'));
    secretFile = join(outside, 'secret.csv');
    writeFileSync(secretFile, `a,b\n${SECRET},1\n`);
    athena = await openAthena(data.dir, {
      workgroups: { analysts: { outputLocation: 's3://results/analysts/' } },
    });
    putObject(athena, 's3://data/readings/part-0.csv', '1,a\n2,b\n');
    await rows(
      athena,
      `CREATE EXTERNAL TABLE readings (id int, name string)
       ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://data/readings/'`,
    );
    const other = await run(athena, `SELECT '${SECRET}' AS other_users_row`, { WorkGroup: 'analysts' });
    expect(other.Status?.State).toBe('SUCCEEDED');
    otherResult = athena.localPath(other.ResultConfiguration!.OutputLocation!);
  });

  afterEach(async () => {
    await athena.close();
    data.cleanup();
    rmSync(outside, { recursive: true, force: true });
  });

  /** Files under the data dir other than result files and the engine's own stores. */
  const dataFiles = () =>
    visibleFiles(data.dir).filter(
      (f) => !/\/[0-9a-f-]{36}\.(csv|txt)$/.test(f) && !/\.(sqlite|duckdb)(-wal|-shm|\.wal)?$/.test(f),
    );

  /** Runs a statement that must fail with an Athena reason, having written nothing outside. */
  async function refused(sql: string, reason: RegExp): Promise<string> {
    const before = dataFiles();
    const outsideBefore = readdirSync(outside).sort();
    const execution = await run(athena, sql, { WorkGroup: 'analysts' });
    const why = execution.Status?.StateChangeReason ?? '';
    expect({ sql, state: execution.Status?.State }).toEqual({ sql, state: 'FAILED' });
    expect(why).toMatch(/^[A-Z_]+: /);
    expect(why).toMatch(reason);
    expect(why).not.toContain(SECRET);
    expect(readdirSync(outside).sort()).toEqual(outsideBefore);
    expect(dataFiles()).toEqual(before);
    return why;
  }

  const copyTo = (name: string) => `COPY (SELECT 42 AS x) TO '${join(outside, name)}' (FORMAT csv)`;
  const oneStatement = /^(INVALID_INPUT: Only one sql statement is allowed|SYNTAX_ERROR: )/;

  describe('a second statement hidden from the one-statement check', () => {
    const styles: [string, (payload: string) => string][] = [
      ['dollar quotes', (p) => `SELECT $$'$$ AS a; ${p}; SELECT 'x' AS b --'`],
      ['tagged dollar quotes', (p) => `SELECT $t$'$t$ AS a; ${p}; SELECT 'x' AS b --'`],
      ['a line comment ended by a carriage return', (p) => `SELECT 1 AS a -- note\r; ${p}; --`],
      ['single quotes', (p) => `SELECT 'a' AS a; ${p}`],
      ['double quotes', (p) => `SELECT 1 AS "a;"; ${p}`],
      ['backticks', (p) => `SELECT 1 AS \`a; ${p}; SELECT 1 AS \``],
      ['an escape string', (p) => `SELECT E'\\'' AS a; ${p}; SELECT '\\'' AS b`],
      ['a block comment', (p) => `SELECT 1 /* ; */ AS a; ${p}`],
      ['nested block comments', (p) => `SELECT 1 /* /* */ ; ${p}; /* */ */ AS a`],
      ['a trailing line comment', (p) => `SELECT 1 AS a; ${p} -- ;`],
    ];
    it.each(styles)('in %s: COPY TO a file of the caller', async (_style, wrap) => {
      await refused(wrap(copyTo('escaped.csv')), oneStatement);
      expect(existsSync(join(outside, 'escaped.csv'))).toBe(false);
    });
    it.each(styles)('in %s: ATTACH a new database file', async (_style, wrap) => {
      await refused(wrap(`ATTACH '${join(outside, 'x.db')}' AS x`), oneStatement);
    });

    it('SET GLOBAL memory_limit changes nothing for later queries', async () => {
      await refused(`SELECT $$'$$ AS a; SET GLOBAL memory_limit='1MB'; SELECT 'x' AS b --'`, oneStatement);
      expect(await rows(athena, 'SELECT count(*) AS n FROM UNNEST(sequence(1, 300000)) AS t(x)')).toEqual([
        ['n'],
        ['300000'],
      ]);
    });

    it("an UPDATE of the engine's catalog leaves the catalog and the next start intact", async () => {
      await refused(
        `SELECT $$'$$ AS a; UPDATE __athena.tables SET spec = 'broken'; SELECT 'x' AS b --'`,
        oneStatement,
      );
      await athena.close();
      athena = await openAthena(data.dir, {
        workgroups: { analysts: { outputLocation: 's3://results/analysts/' } },
      });
      expect(await rows(athena, 'SELECT count(*) AS n FROM readings')).toEqual([['n'], ['2']]);
    });
  });

  describe('statements only DuckDB runs', () => {
    it.each([
      ['COPY', () => copyTo('copy.csv')],
      ['ATTACH', () => `ATTACH '${join(outside, 'a.db')}' AS a`],
      ['DETACH', () => 'DETACH awsdatacatalog'],
      ['SET', () => "SET memory_limit = '1MB'"],
      ['SET GLOBAL', () => 'SET GLOBAL enable_external_access = true'],
      ['RESET', () => 'RESET memory_limit'],
      ['PRAGMA', () => "PRAGMA enable_profiling = 'json'"],
      ['INSTALL', () => 'INSTALL httpfs'],
      ['LOAD', () => 'LOAD httpfs'],
      ['CALL', () => 'CALL pragma_version()'],
      ['EXPORT DATABASE', () => `EXPORT DATABASE '${join(outside, 'export')}'`],
      ['IMPORT DATABASE', () => `IMPORT DATABASE '${outside}'`],
      ['CHECKPOINT', () => 'CHECKPOINT'],
      ['FORCE CHECKPOINT', () => 'FORCE CHECKPOINT'],
      ['UPDATE of the catalog', () => "UPDATE __athena.tables SET spec = 'broken'"],
      ['DELETE from the catalog', () => 'DELETE FROM __athena.tables'],
      ['EXPLAIN ANALYZE COPY', () => `EXPLAIN ANALYZE ${copyTo('explained.csv')}`],
      ['EXPLAIN ANALYZE ATTACH', () => `EXPLAIN ANALYZE ATTACH '${join(outside, 'e.db')}' AS e`],
      ['SUMMARIZE', () => 'SUMMARIZE readings'],
      ['FROM-first', () => `FROM read_csv('${'/etc/passwd'}')`],
      ['a CTE in front of COPY', () => `WITH q AS (SELECT 1) ${copyTo('cte.csv')}`],
    ])('%s', async (_name, sql) => {
      await refused(sql(), /^(NOT_SUPPORTED|SYNTAX_ERROR|INVALID_INPUT|FUNCTION_NOT_FOUND): /);
    });
  });

  describe('files outside the tables', () => {
    const cases: [string, () => string][] = [
      ['read_csv of /etc/passwd', () => "SELECT * FROM read_csv('/etc/passwd')"],
      ['read_csv of a file outside', () => `SELECT * FROM read_csv('${secretFile}')`],
      ['read_csv_auto', () => `SELECT * FROM read_csv_auto('${secretFile}')`],
      ['read_text', () => `SELECT content FROM read_text('${secretFile}')`],
      [
        'read_blob of the ledger',
        () => `SELECT content FROM read_blob('${join(data.dir, 'executions.sqlite')}')`,
      ],
      [
        'read_blob of the catalog',
        () => `SELECT content FROM read_blob('${join(data.dir, 'awsdatacatalog.duckdb')}')`,
      ],
      ['read_json', () => `SELECT * FROM read_json('${secretFile}')`],
      ['read_json_auto', () => `SELECT * FROM read_json_auto('${secretFile}')`],
      ['read_ndjson_objects', () => `SELECT * FROM read_ndjson_objects('${secretFile}')`],
      ['read_parquet', () => `SELECT * FROM read_parquet('${join(outside, '*.parquet')}')`],
      ['parquet_metadata', () => `SELECT * FROM parquet_metadata('${secretFile}')`],
      ['parquet_schema', () => `SELECT * FROM parquet_schema('${secretFile}')`],
      ['glob of /root', () => "SELECT * FROM glob('/root/*')"],
      ['glob of the data dir', () => `SELECT * FROM glob('${data.dir}/**')`],
      ['sniff_csv', () => `SELECT * FROM sniff_csv('${secretFile}')`],
      ['a file name as a table', () => `SELECT * FROM '${secretFile}'`],
      ['a quoted file name as a table', () => `SELECT * FROM "${secretFile}"`],
      ['query() of a file read', () => `SELECT * FROM query('SELECT * FROM read_csv(''${secretFile}'')')`],
      ['another query result', () => `SELECT * FROM read_csv('${otherResult}')`],
      ['every result', () => `SELECT * FROM read_csv('${join(data.dir, 's3', 'results')}/**/*.csv')`],
      ['read_csv in a subquery', () => `SELECT (SELECT count(*) FROM read_csv('${secretFile}')) AS n`],
      ['read_csv in a CTE', () => `WITH s AS (SELECT * FROM read_text('${secretFile}')) SELECT * FROM s`],
      ['a file read hidden in a view', () => `CREATE VIEW leak AS SELECT * FROM read_text('${secretFile}')`],
      ['a file read in CTAS', () => `CREATE TABLE leak2 AS SELECT * FROM read_text('${secretFile}')`],
      [
        'a file read in INSERT',
        () => `INSERT INTO readings SELECT 1, content FROM read_text('${secretFile}')`,
      ],
      [
        'enable_logging to a file',
        () => `SELECT * FROM enable_logging(storage = 'file', storage_path = '${outside}')`,
      ],
    ];
    it.each(cases)('%s', async (_name, sql) => {
      await refused(sql(), /^(FUNCTION_NOT_FOUND|TABLE_NOT_FOUND|PERMISSION_DENIED|NOT_SUPPORTED): /);
    });

    it('a table whose location holds query results is refused', async () => {
      await refused(
        `CREATE EXTERNAL TABLE results_peek (line string) LOCATION 's3://results/'`,
        /^INVALID_TABLE_PROPERTY: .*query results/,
      );
      await refused(
        `CREATE EXTERNAL TABLE results_peek (line string) LOCATION 's3://results/analysts/'`,
        /^INVALID_TABLE_PROPERTY: .*query results/,
      );
    });
  });

  describe("the engine's catalog and settings", () => {
    it.each([
      ['reading __athena.tables', 'SELECT * FROM __athena.tables'],
      ['reading it by its catalog', 'SELECT * FROM awsdatacatalog.__athena.tables'],
      ['a view over it', 'CREATE VIEW peek AS SELECT * FROM __athena.tables'],
      ['a view in its schema', 'CREATE VIEW __athena.peek AS SELECT 1 AS a'],
      ['a table in its schema', "CREATE EXTERNAL TABLE __athena.t (a int) LOCATION 's3://data/x/'"],
      ['dropping it', 'DROP DATABASE __athena CASCADE'],
      ['dropping its table', 'DROP TABLE __athena.tables'],
      ['dropping it as a view', 'DROP VIEW __athena.tables'],
    ])('%s', async (_name, sql) => {
      await refused(sql, /^(TABLE_NOT_FOUND|SCHEMA_NOT_FOUND|INVALID_INPUT|NOT_SUPPORTED|SYNTAX_ERROR): /);
    });

    it.each([
      ['current_setting', "SELECT current_setting('allowed_directories') AS s"],
      ['current_setting of the memory limit', "SELECT current_setting('memory_limit') AS s"],
      ['getenv', "SELECT getenv('HOME') AS s"],
      ['getvariable', "SELECT getvariable('x') AS s"],
      ['duckdb_settings()', 'SELECT * FROM duckdb_settings()'],
      ['duckdb_databases()', 'SELECT path FROM duckdb_databases()'],
      ['duckdb_extensions()', 'SELECT * FROM duckdb_extensions()'],
      ['pragma_database_list', 'SELECT * FROM pragma_database_list'],
      ['duckdb_temporary_files()', 'SELECT * FROM duckdb_temporary_files()'],
      ['a table function named as a table', 'SELECT * FROM duckdb_settings'],
      ['enable_logging named as a table', 'SELECT * FROM enable_logging'],
      ['a system view', 'SELECT * FROM pg_settings'],
      ['a system view by its schema', 'SELECT * FROM pg_catalog.pg_settings'],
      ['the databases view', 'SELECT * FROM duckdb_databases'],
      ['a table function by its schema', "SELECT * FROM main.read_text('/etc/passwd')"],
      ['a table function by its catalog', "SELECT * FROM system.main.read_text('/etc/passwd')"],
      ['EXPLAIN of a file read', "EXPLAIN SELECT * FROM read_text('/etc/passwd')"],
      ['EXPLAIN with options of a file read', "EXPLAIN (FORMAT JSON) SELECT * FROM read_text('/etc/passwd')"],
    ])('%s', async (_name, sql) => {
      await refused(sql, /^(FUNCTION_NOT_FOUND|TABLE_NOT_FOUND): /);
    });
  });

  it('reports the position of a refused function in the text the user sent', async () => {
    expect(await refused("SELECT 1 AS a,\n  upper(current_setting('threads')) AS b", /./)).toBe(
      "FUNCTION_NOT_FOUND: line 2:9: Function 'current_setting' not registered",
    );
  });

  it('runs EXPLAIN, UNNEST, ranges and CTEs that share a name with a system view', async () => {
    expect((await rows(athena, 'EXPLAIN SELECT id FROM readings'))[0]).toEqual([
      'explain_key',
      'explain_value',
    ]);
    expect(
      await rows(athena, 'WITH duckdb_settings AS (SELECT 7 AS a) SELECT a FROM duckdb_settings'),
    ).toEqual([['a'], ['7']]);
    expect(
      await rows(
        athena,
        'SELECT sum(x) AS s FROM UNNEST(ARRAY[1, 2, 3]) AS t(x) CROSS JOIN UNNEST(sequence(1, 2)) AS r(y)',
      ),
    ).toEqual([['s'], ['12']]);
  });

  it('still reads its tables and writes its own CTAS and INSERT output', async () => {
    expect(await rows(athena, 'SELECT id, name FROM readings ORDER BY id')).toEqual([
      ['id', 'name'],
      ['1', 'a'],
      ['2', 'b'],
    ]);
    expect(await rows(athena, 'CREATE TABLE copied AS SELECT id * 10 AS id, name FROM readings')).toEqual([
      ['rows'],
      ['2'],
    ]);
    expect(await rows(athena, "INSERT INTO readings VALUES (3, 'c')")).toEqual([['rows'], ['1']]);
    expect(await rows(athena, 'SELECT sum(id) AS s FROM copied')).toEqual([['s'], ['30']]);
    expect(await rows(athena, 'SELECT count(*) AS n FROM readings')).toEqual([['n'], ['3']]);
  });
});

describe('a sandbox', () => {
  it('is locked with external access off, no extension loading and the limits it was given', async () => {
    const data = tempDataDir();
    const box = await Sandbox.open(
      { version: 0, databases: ['default'], tables: [], views: [], readableDirs: [join(data.dir, 'table')] },
      { tmpRoot: data.dir, limits: { memoryLimitMb: 256, threads: 1 } },
    );
    try {
      const settings = Object.fromEntries(
        (
          await box.helper.runAndReadAll(
            `SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', 'lock_configuration',
             'autoinstall_known_extensions', 'autoload_known_extensions', 'allow_community_extensions',
             'allowed_directories', 'memory_limit', 'threads')`,
          )
        )
          .getRows()
          .map(([name, value]) => [String(name), String(value)]),
      );
      expect(settings).toMatchObject({
        enable_external_access: 'false',
        lock_configuration: 'true',
        autoinstall_known_extensions: 'false',
        autoload_known_extensions: 'false',
        allow_community_extensions: 'false',
        memory_limit: '244.1 MiB',
        threads: '1',
      });
      expect(settings.allowed_directories).toContain(`${join(data.dir, 'table')}/`);
      await expect(box.helper.run("SET memory_limit = '10GB'")).rejects.toThrow(
        /configuration has been locked/,
      );
    } finally {
      box.close();
      data.cleanup();
    }
  });
});

describe('per-query limits', () => {
  it('fails a query past its memory limit alone: the next query runs', async () => {
    const data = tempDataDir();
    const athena = await openAthena(data.dir, { queryMemoryLimitMb: 64, engineThreads: 1 });
    try {
      const big = await run(
        athena,
        'SELECT cardinality(array_agg(x)) AS n FROM UNNEST(sequence(1, 10000000)) AS t(x)',
      );
      expect(big.Status?.State).toBe('FAILED');
      expect(big.Status?.StateChangeReason).toMatch(/^EXCEEDED_LOCAL_MEMORY_LIMIT: /);
      expect(await rows(athena, 'SELECT count(*) AS n FROM UNNEST(sequence(1, 1000)) AS t(x)')).toEqual([
        ['n'],
        ['1000'],
      ]);
    } finally {
      await athena.close();
      data.cleanup();
    }
  }, 90_000);
});

describe('a catalog written before sandboxes', () => {
  it('keeps its views (moved to the catalog) and its tables', async () => {
    const data = tempDataDir();
    let athena = await openAthena(data.dir);
    putObject(athena, 's3://data/n/part-0.csv', '1\n2\n');
    await rows(athena, "CREATE EXTERNAL TABLE n (v int) LOCATION 's3://data/n/'");
    await athena.close();
    // What the engine used to keep: a DuckDB view per table and per user view.
    const old = await DuckDBInstance.create(join(data.dir, 'awsdatacatalog.duckdb'));
    const connection = await old.connect();
    await connection.run('CREATE VIEW "default".n AS SELECT 1 AS v');
    await connection.run('CREATE VIEW "default".doubled AS SELECT v * 2 AS w FROM "default".n');
    connection.closeSync();
    old.closeSync();
    athena = await openAthena(data.dir);
    try {
      expect(await rows(athena, 'SELECT w FROM doubled ORDER BY w')).toEqual([['w'], ['2'], ['4']]);
      expect(await rows(athena, 'SHOW TABLES')).toEqual([['doubled'], ['n']]);
    } finally {
      await athena.close();
      data.cleanup();
    }
  });
});
