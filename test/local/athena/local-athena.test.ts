import { existsSync, readFileSync, statSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { AthenaServiceError, type LocalAthena } from '../../../local/athena';
import { openAthena, putObject, rows, run, tempDataDir, waitForState } from './helpers';

const TOKEN = 'c0ffee00-1111-4222-8333-444455556666';
const LONG_QUERY =
  'SELECT count(*) FROM UNNEST(sequence(1, 1000000)) AS a(x) CROSS JOIN UNNEST(sequence(1, 100000)) AS b(y) WHERE a.x + b.y = 7';

/** 2,500 rows of `id,name,score,day` as delimited text, split over two files. */
function readingsCsv(from: number, to: number): string {
  const lines: string[] = [];
  for (let i = from; i < to; i++) {
    lines.push(
      `${i},name ${i % 7} "q",${(i * 1.25).toFixed(2)},2024-05-${String(1 + (i % 28)).padStart(2, '0')}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function createReadings(athena: LocalAthena): Promise<string[]> {
  const files = [
    putObject(athena, 's3://data/readings/part-0.csv', readingsCsv(0, 1200)),
    putObject(athena, 's3://data/readings/part-1.csv', readingsCsv(1200, 2500)),
  ];
  const created = await run(
    athena,
    `CREATE EXTERNAL TABLE readings (id int, name string, score double, day date)
     ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
     LOCATION 's3://data/readings/'`,
  );
  expect(created.Status?.State).toBe('SUCCEEDED');
  return files;
}

describe('LocalAthena', () => {
  let data: ReturnType<typeof tempDataDir>;
  let athena: LocalAthena;

  beforeEach(async () => {
    data = tempDataDir();
    athena = await openAthena(data.dir, {
      workgroups: { analysts: { outputLocation: 's3://results/analysts/' } },
    });
  });

  afterEach(async () => {
    await athena.close();
    data.cleanup();
  });

  it('runs a SELECT to SUCCEEDED with statistics, a CSV result and paged results equal to DuckDB run directly', async () => {
    const files = await createReadings(athena);
    const sql = 'SELECT id, name, score * 2 AS doubled, day FROM readings WHERE id % 2 = 0 ORDER BY id';
    const execution = await run(athena, sql, { WorkGroup: 'analysts' });

    expect(execution.Status?.State).toBe('SUCCEEDED');
    expect(execution.StatementType).toBe('DML');
    expect(execution.WorkGroup).toBe('analysts');
    const id = execution.QueryExecutionId!;
    expect(execution.ResultConfiguration?.OutputLocation).toBe(`s3://results/analysts/${id}.csv`);
    const stats = execution.Statistics!;
    const fileBytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
    expect(stats.DataScannedInBytes).toBe(fileBytes);
    expect(stats.TotalExecutionTimeInMillis).toBeGreaterThanOrEqual(stats.EngineExecutionTimeInMillis!);
    expect(stats.EngineExecutionTimeInMillis).toBeGreaterThanOrEqual(stats.QueryPlanningTimeInMillis!);
    for (const key of ['QueryQueueTimeInMillis', 'ServiceProcessingTimeInMillis'] as const) {
      expect(stats[key]).toBeGreaterThanOrEqual(0);
    }
    expect(execution.Status!.CompletionDateTime!.getTime()).toBeGreaterThanOrEqual(
      execution.Status!.SubmissionDateTime!.getTime(),
    );

    const csv = readFileSync(athena.localPath(execution.ResultConfiguration!.OutputLocation!), 'utf8').split(
      '\n',
    );
    expect(csv[0]).toBe('"id","name","doubled","day"');
    expect(csv[1]).toBe('"0","name 0 ""q""","0.0","2024-05-01"');

    const pages: { Data: { VarCharValue?: string }[] }[][] = [];
    let token: string | undefined;
    do {
      const page = await athena.getQueryResults({ QueryExecutionId: id, NextToken: token });
      pages.push(page.ResultSet.Rows);
      token = page.NextToken;
      if (pages.length === 1) {
        expect(page.ResultSet.ResultSetMetadata.ColumnInfo.map((c) => [c.Name, c.Type])).toEqual([
          ['id', 'integer'],
          ['name', 'varchar'],
          ['doubled', 'double'],
          ['day', 'date'],
        ]);
      }
    } while (token);
    expect(pages.map((p) => p.length)).toEqual([1000, 251]);
    const athenaRows = pages.flat().map((r) => r.Data.map((d) => d.VarCharValue));
    expect(athenaRows[0]).toEqual(['id', 'name', 'doubled', 'day']);

    const duck = await DuckDBInstance.create(':memory:');
    const connection = await duck.connect();
    const direct = await connection.runAndReadAll(
      `SELECT id::VARCHAR, name, (score * 2)::VARCHAR, day::VARCHAR FROM read_csv([${files.map((f) => `'${f}'`).join(',')}],
        columns = {'id': 'INTEGER', 'name': 'VARCHAR', 'score': 'DOUBLE', 'day': 'DATE'}, header = false, quote = '', delim = ',')
       WHERE id % 2 = 0 ORDER BY id`,
    );
    const expected = direct.getRows().map((r) => r.map((v) => String(v).replace(/^(\d+)$/, '$1')));
    const normalize = (value: string | undefined) =>
      value && /^\d+\.\d+$/.test(value) ? String(Number(value)) : value;
    expect(athenaRows.slice(1).map((r) => r.map(normalize))).toEqual(expected.map((r) => r.map(normalize)));
    connection.closeSync();
    duck.closeSync();
  });

  it('throws TooManyRequestsException with Athena message and reason when queued + running DML reach the quota', async () => {
    await athena.close();
    athena = await openAthena(data.dir, { activeQueryQuota: 2, latency: { queueMs: 0, planningMs: 5_000 } });
    const first = await athena.startQueryExecution({ QueryString: 'SELECT 1' });
    await athena.startQueryExecution({ QueryString: 'SELECT 2' });
    expect(athena.activeQueryCount()).toBe(2);

    const third = athena.startQueryExecution({ QueryString: 'SELECT 3' });
    await expect(third).rejects.toBeInstanceOf(AthenaServiceError);
    await expect(third).rejects.toMatchObject({
      name: 'TooManyRequestsException',
      Reason: 'CONCURRENT_QUERY_LIMIT_EXCEEDED',
      message:
        'You have exceeded the limit for the number of queries you can run concurrently. Please reduce the number of concurrent queries submitted by this account. Contact customer support to request a concurrent query limit increase.',
    });
    // DDL has its own quota, as in Athena.
    await expect(athena.startQueryExecution({ QueryString: 'SHOW DATABASES' })).resolves.toBeDefined();

    await athena.stopQueryExecution(first);
    await expect(athena.startQueryExecution({ QueryString: 'SELECT 4' })).resolves.toHaveProperty(
      'QueryExecutionId',
    );
  });

  it('returns the same QueryExecutionId for a repeated ClientRequestToken and runs the statement once', async () => {
    putObject(athena, 's3://data/events/seed.txt', 'seed\n');
    await rows(athena, "CREATE EXTERNAL TABLE events (name string) LOCATION 's3://data/events/'");
    const insert = "INSERT INTO events VALUES ('once')";
    const a = await athena.startQueryExecution({ QueryString: insert, ClientRequestToken: TOKEN });
    const b = await athena.startQueryExecution({ QueryString: insert, ClientRequestToken: TOKEN });
    expect(b.QueryExecutionId).toBe(a.QueryExecutionId);
    const done = await athena.waitForQueryExecution(a.QueryExecutionId);
    expect(done.QueryExecution.Status?.State).toBe('SUCCEEDED');
    const again = await athena.startQueryExecution({ QueryString: insert, ClientRequestToken: TOKEN });
    expect(again.QueryExecutionId).toBe(a.QueryExecutionId);

    expect(await rows(athena, "SELECT count(*) FROM events WHERE name = 'once'")).toEqual([['_col0'], ['1']]);
    await expect(
      athena.startQueryExecution({ QueryString: 'SELECT 1', ClientRequestToken: TOKEN }),
    ).rejects.toMatchObject({ name: 'InvalidRequestException' });
  });

  it('keeps executions across close and open, and resumes an interrupted one under the same id', async () => {
    const finished = await run(athena, 'SELECT 42 AS answer', { ClientRequestToken: TOKEN });
    await athena.close();
    athena = await openAthena(data.dir, { latency: { queueMs: 0, planningMs: 60_000 } });
    const { QueryExecutionId: interrupted } = await athena.startQueryExecution({
      QueryString: 'SELECT 7 AS resumed',
      ClientRequestToken: `${TOKEN}-resume`,
    });
    await waitForState(athena, interrupted, 'RUNNING');
    await athena.close(); // as if the process died mid-query

    athena = await openAthena(data.dir);
    const kept = await athena.getQueryExecution({ QueryExecutionId: finished.QueryExecutionId! });
    expect(kept.QueryExecution.Status?.State).toBe('SUCCEEDED');
    expect(await athena.getQueryResults({ QueryExecutionId: finished.QueryExecutionId! })).toMatchObject({
      ResultSet: { Rows: [{ Data: [{ VarCharValue: 'answer' }] }, { Data: [{ VarCharValue: '42' }] }] },
    });
    const sameToken = await athena.startQueryExecution({
      QueryString: 'SELECT 42 AS answer',
      ClientRequestToken: TOKEN,
    });
    expect(sameToken.QueryExecutionId).toBe(finished.QueryExecutionId);

    const resumed = await athena.waitForQueryExecution(interrupted);
    expect(resumed.QueryExecution.Status?.State).toBe('SUCCEEDED');
    const retried = await athena.startQueryExecution({
      QueryString: 'SELECT 7 AS resumed',
      ClientRequestToken: `${TOKEN}-resume`,
    });
    expect(retried.QueryExecutionId).toBe(interrupted);
    expect(athena.activeQueryCount('ALL')).toBe(0);
  });

  it('ends bad SQL FAILED with the engine message, an Athena position and a USER AthenaError', async () => {
    await createReadings(athena);
    const unknownColumn = await run(athena, 'SELECT id,\n  nosuch FROM readings');
    expect(unknownColumn.Status?.State).toBe('FAILED');
    expect(unknownColumn.Status?.StateChangeReason).toBe(
      'COLUMN_NOT_FOUND: line 2:3: Referenced column "nosuch" not found in FROM clause! (Candidate bindings: "name")',
    );
    expect(unknownColumn.Status?.AthenaError).toEqual({
      ErrorCategory: 2,
      ErrorType: 1000,
      Retryable: false,
      ErrorMessage: unknownColumn.Status?.StateChangeReason,
    });

    const syntax = await run(athena, 'SELECT * FORM readings');
    expect(syntax.Status?.StateChangeReason).toBe(
      'SYNTAX_ERROR: line 1:15: syntax error at or near "readings"',
    );

    const missing = await run(athena, 'SELECT * FROM nowhere');
    expect(missing.Status?.StateChangeReason).toMatch(
      /^TABLE_NOT_FOUND: line 1:15: Table with name nowhere does not exist!/,
    );

    const two = await run(athena, 'SELECT 1; SELECT 2');
    expect(two.Status?.StateChangeReason).toBe(
      'INVALID_INPUT: Only one sql statement is allowed. Got: SELECT 1; SELECT 2',
    );

    const otherCatalog = await run(athena, 'SELECT 1', {
      QueryExecutionContext: { Catalog: 'hive_metastore' },
    });
    expect(otherCatalog.Status?.StateChangeReason).toMatch(
      /^CATALOG_NOT_FOUND: Catalog 'hive_metastore' does not exist/,
    );

    const notAthena = await run(athena, "COPY readings TO '/tmp/x.csv'");
    expect(notAthena.Status?.StateChangeReason).toMatch(
      /^NOT_SUPPORTED: COPY statements are not supported by Athena/,
    );
  });

  it('cancels a query that scans more than the workgroup cutoff with Athena reason', async () => {
    await athena.close();
    athena = await openAthena(data.dir, {
      workgroups: {
        fast: { bytesScannedCutoffPerQuery: 10_000 },
        roomy: { bytesScannedCutoffPerQuery: 10_000_000 },
      },
    });
    const files = await createReadings(athena);
    const fileBytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
    expect(fileBytes).toBeGreaterThan(10_000);

    const cut = await run(athena, 'SELECT count(*) FROM readings', { WorkGroup: 'fast' });
    expect(cut.Status?.State).toBe('CANCELLED');
    expect(cut.Status?.StateChangeReason).toBe('Query cancelled! : Bytes scanned limit was exceeded');
    expect(cut.Statistics?.DataScannedInBytes).toBe(fileBytes);
    await expect(athena.getQueryResults({ QueryExecutionId: cut.QueryExecutionId! })).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: 'Query did not finish successfully. Final query state: CANCELLED',
    });
    expect(existsSync(athena.localPath(cut.ResultConfiguration!.OutputLocation!))).toBe(false);

    const fits = await run(athena, 'SELECT count(*) FROM readings', { WorkGroup: 'roomy' });
    expect(fits.Status?.State).toBe('SUCCEEDED');
  });

  it('stops a long running query promptly and leaves a finished query as it is', async () => {
    const { QueryExecutionId } = await athena.startQueryExecution({ QueryString: LONG_QUERY });
    await waitForState(athena, QueryExecutionId, 'RUNNING');
    await new Promise((resolve) => setTimeout(resolve, 200)); // let DuckDB get going
    const stoppedAt = Date.now();
    await athena.stopQueryExecution({ QueryExecutionId });
    const stopped = await athena.waitForQueryExecution(QueryExecutionId);
    expect(Date.now() - stoppedAt).toBeLessThan(2_000);
    expect(stopped.QueryExecution.Status?.State).toBe('CANCELLED');
    expect(stopped.QueryExecution.Status?.StateChangeReason).toBe('Query cancelled by user');

    const done = await run(athena, 'SELECT 1');
    await athena.stopQueryExecution({ QueryExecutionId: done.QueryExecutionId! });
    expect(
      (await athena.getQueryExecution({ QueryExecutionId: done.QueryExecutionId! })).QueryExecution.Status
        ?.State,
    ).toBe('SUCCEEDED');
  });

  it('refuses results of a query that has not finished, in Athena words', async () => {
    await athena.close();
    athena = await openAthena(data.dir, {
      latency: { queueMs: 0, planningMs: 60_000 },
      engineConcurrency: 1,
    });
    const running = await athena.startQueryExecution({ QueryString: 'SELECT 1' });
    const queued = await athena.startQueryExecution({ QueryString: 'SELECT 2' });
    await waitForState(athena, running.QueryExecutionId, 'RUNNING');
    await expect(athena.getQueryResults(running)).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: 'Query has not yet finished. Current state: RUNNING',
    });
    await expect(athena.getQueryResults(queued)).rejects.toMatchObject({
      message: 'Query has not yet finished. Current state: QUEUED',
    });
    await athena.stopQueryExecution(running);
    await athena.stopQueryExecution(queued);
    expect((await athena.waitForQueryExecution(queued.QueryExecutionId)).QueryExecution.Status?.State).toBe(
      'CANCELLED',
    );
  });

  it('binds ExecutionParameters to ? placeholders as SQL literals', async () => {
    await createReadings(athena);
    const result = await rows(athena, 'SELECT id, name FROM readings WHERE name = ? AND id < ? ORDER BY id', {
      ExecutionParameters: ['\'name 3 "q"\'', '20'],
    });
    expect(result).toEqual([
      ['id', 'name'],
      ['3', 'name 3 "q"'],
      ['10', 'name 3 "q"'],
      ['17', 'name 3 "q"'],
    ]);
    const execution = await run(athena, 'SELECT ? AS a', { ExecutionParameters: ['1', '2'] });
    expect(execution.Status?.StateChangeReason).toBe(
      'SYNTAX_ERROR: line 1:8: Incorrect number of parameters: expected 1 but found 2',
    );
    expect(execution.ExecutionParameters).toEqual(['1', '2']);
  });

  it('runs SHOW TABLES, SHOW DATABASES, DESCRIBE and DROP TABLE with Athena result shapes', async () => {
    await createReadings(athena);
    expect(await rows(athena, 'CREATE DATABASE farm')).toEqual([]);
    await rows(
      athena,
      'CREATE VIEW farm.recent AS SELECT id FROM "default".readings WHERE day > DATE \'2024-05-20\'',
    );

    const show = await run(athena, 'SHOW TABLES');
    expect(show.StatementType).toBe('UTILITY');
    expect(show.ResultConfiguration?.OutputLocation).toMatch(/\.txt$/);
    const shown = await athena.getQueryResults({ QueryExecutionId: show.QueryExecutionId! });
    expect(shown.ResultSet.ResultSetMetadata.ColumnInfo.map((c) => c.Name)).toEqual(['tab_name']);
    expect(shown.ResultSet.Rows).toEqual([{ Data: [{ VarCharValue: 'readings' }] }]);
    expect(await rows(athena, 'SHOW TABLES IN farm')).toEqual([['recent']]);
    expect(await rows(athena, 'SHOW DATABASES')).toEqual([['default'], ['farm']]);
    expect(await rows(athena, "SHOW TABLES 'read*|nothing'")).toEqual([['readings']]);

    const described = await rows(athena, 'DESCRIBE readings');
    expect(described.map(([line]) => line!.split('\t').map((s) => s.trim()))).toEqual([
      ['id', 'int', ''],
      ['name', 'string', ''],
      ['score', 'double', ''],
      ['day', 'date', ''],
    ]);
    expect(await rows(athena, 'DESCRIBE farm.recent')).toEqual([
      [`${'id'.padEnd(20)}\t${'int'.padEnd(20)}\t${''.padEnd(20)}`],
    ]);

    const created = await rows(athena, 'SHOW CREATE TABLE readings');
    expect(created.map(([l]) => l).join('\n')).toContain("LOCATION\n  's3://data/readings/'");

    const drop = await run(athena, 'DROP TABLE readings');
    expect(drop.StatementType).toBe('DDL');
    expect(drop.Status?.State).toBe('SUCCEEDED');
    expect(await rows(athena, 'SHOW TABLES')).toEqual([]);
    expect((await run(athena, 'DROP TABLE readings')).Status?.StateChangeReason).toBe(
      'TABLE_NOT_FOUND: Table default.readings does not exist',
    );
    expect((await run(athena, 'DROP TABLE IF EXISTS readings')).Status?.State).toBe('SUCCEEDED');
    expect((await run(athena, 'DROP DATABASE farm')).Status?.StateChangeReason).toBe(
      'INVALID_INPUT: Database farm is not empty. One or more tables exist.',
    );
    expect((await run(athena, 'DROP DATABASE farm CASCADE')).Status?.State).toBe('SUCCEEDED');
  });

  it('refuses an unknown workgroup and unknown ids with InvalidRequestException', async () => {
    await expect(
      athena.startQueryExecution({ QueryString: 'SELECT 1', WorkGroup: 'nope' }),
    ).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: 'WorkGroup nope is not found',
    });
    await expect(athena.getQueryExecution({ QueryExecutionId: 'missing' })).rejects.toMatchObject({
      name: 'InvalidRequestException',
      message: 'QueryExecution missing was not found',
    });
  });

  it('uses QueryExecutionContext.Database for unqualified names and fails on an unknown one', async () => {
    await rows(athena, 'CREATE DATABASE IF NOT EXISTS farm');
    await rows(athena, 'CREATE VIEW numbers AS SELECT 5 AS n', {
      QueryExecutionContext: { Database: 'farm' },
    });
    expect(
      await rows(athena, 'SELECT n FROM numbers', { QueryExecutionContext: { Database: 'farm' } }),
    ).toEqual([['n'], ['5']]);
    expect(await rows(athena, 'SELECT n FROM awsdatacatalog.farm.numbers')).toEqual([['n'], ['5']]);
    const missing = await run(athena, 'SELECT 1', { QueryExecutionContext: { Database: 'nowhere' } });
    expect(missing.Status?.State).toBe('FAILED');
    expect(missing.Status?.StateChangeReason).toMatch(/^SCHEMA_NOT_FOUND: Database nowhere does not exist/);
  });

  it.each([
    ['bigint', 'SELECT CAST(42 AS BIGINT) AS v', '42', 19, 0],
    ['integer', 'SELECT 42 AS v', '42', 10, 0],
    ['double', 'SELECT 0.5e0 AS v', '0.5', 17, 0],
    ['varchar', "SELECT 'text' AS v", 'text', 2147483647, 0],
    ['boolean', 'SELECT 1 < 2 AS v', 'true', 0, 0],
    ['timestamp', "SELECT TIMESTAMP '2024-05-01 13:04:05.321' AS v", '2024-05-01 13:04:05.321', 3, 0],
    ['timestamp with time zone', 'SELECT from_unixtime(0) AS v', '1970-01-01 00:00:00.000 UTC', 3, 0],
    ['date', "SELECT DATE '2024-05-01' AS v", '2024-05-01', 0, 0],
    ['decimal', 'SELECT CAST(12.5 AS DECIMAL(10, 2)) AS v', '12.50', 10, 2],
    ['array', 'SELECT ARRAY[1, 2] AS v', '[1, 2]', 0, 0],
    ['map', "SELECT MAP(ARRAY['a'], ARRAY[1]) AS v", '{a=1}', 0, 0],
    ['row', "SELECT CAST(ROW(1, 'z') AS ROW(x INTEGER, y VARCHAR)) AS v", '{x=1, y=z}', 0, 0],
  ])('types a %s column as Athena does in GetQueryResults', async (type, sql, value, precision, scale) => {
    const execution = await run(athena, sql);
    expect(execution.Status?.State).toBe('SUCCEEDED');
    const page = await athena.getQueryResults({ QueryExecutionId: execution.QueryExecutionId! });
    expect(page.ResultSet.ResultSetMetadata.ColumnInfo).toEqual([
      expect.objectContaining({ Name: 'v', Type: type, Precision: precision, Scale: scale }),
    ]);
    expect(page.ResultSet.Rows[1]).toEqual({ Data: [{ VarCharValue: value }] });
  });

  it('types sums and counts as bigint (DuckDB sums integers into HUGEINT)', async () => {
    const execution = await run(
      athena,
      'SELECT sum(x) AS s, count_if(x > 1) AS c FROM UNNEST(ARRAY[1, 2]) AS t(x)',
    );
    const page = await athena.getQueryResults({ QueryExecutionId: execution.QueryExecutionId! });
    expect(page.ResultSet.ResultSetMetadata.ColumnInfo.map((c) => c.Type)).toEqual(['bigint', 'bigint']);
    expect(page.ResultSet.Rows[1]).toEqual({ Data: [{ VarCharValue: '3' }, { VarCharValue: '1' }] });
  });

  it('renders values as Athena does: Java doubles, millisecond timestamps, arrays, maps and rows', async () => {
    const result = await rows(
      athena,
      `SELECT CAST(1e20 AS DOUBLE) AS big, CAST(0.1 AS REAL) AS f, TIMESTAMP '2024-05-01 10:11:12.345678' AS ts,
              ARRAY[1, 2] AS arr, MAP(ARRAY['a'], ARRAY[1]) AS m, CAST(ROW(1, 'z') AS ROW(x INTEGER, y VARCHAR)) AS r,
              CAST(NULL AS VARCHAR) AS nothing, '' AS empty, CAST(12.50 AS DECIMAL(5,2)) AS d`,
    );
    expect(result[1]).toEqual([
      '1.0E20',
      '0.1',
      '2024-05-01 10:11:12.345',
      '[1, 2]',
      '{a=1}',
      '{x=1, y=z}',
      undefined,
      '',
      '12.50',
    ]);
  });
});
